"""Lightbulb command modules; each exposes one `loader` (see `ALL_LOADERS`)."""
