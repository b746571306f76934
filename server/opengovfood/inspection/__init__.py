"""Inspection domain knowledge, pure: the Food Code catalogue, the note reader and rules
engine, the comment classifier, and the computed score.

Nothing here does I/O besides reading the package's own data files (`foodcode.toml`, the
Chicago sample under `data/`), and nothing imports gRPC, SQLAlchemy or protobuf, so every
layer below the servicers may use it.
"""
