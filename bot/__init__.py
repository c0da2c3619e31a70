"""circlebot: a Slack and Discord bot that keeps a community a circle of trust."""

__version__ = "0.1.0"
