"""Python client for the Duomi Veo 3.1 video generation API."""

__version__ = "0.1.0"
