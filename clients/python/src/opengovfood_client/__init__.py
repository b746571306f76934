"""Python client for the OpenGov-Food gRPC service (package opengovfood.v1)."""

__version__ = "0.1.0"
