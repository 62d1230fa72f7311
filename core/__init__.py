"""Everything the app, the CLI and training share. Never imports Qt."""

__version__ = "0.1.0"
