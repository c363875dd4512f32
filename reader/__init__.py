"""Gloss: an offline desktop news reader. The package imports nothing heavy on purpose."""

__version__ = "0.1.0"
