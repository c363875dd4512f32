"""Gloss's Qt-free core. The GUI and the CLI talk only to :class:`reader.core.library.Library`."""
