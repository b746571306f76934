"""OpenGov-Food: gRPC service for food-safety inspection teams."""

__version__ = "0.1.0"
