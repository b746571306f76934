"""Generated from protos/opengovfood/v1 by `make protos`. Do not edit."""
