"""Thin servicers: protobuf in, plain arguments to services, protobuf out."""
