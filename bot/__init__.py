"""The bot: app factory, channels, routing and handlers."""

__version__ = "0.1.0"
