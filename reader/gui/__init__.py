"""The Gloss window: the only package that imports Qt."""
