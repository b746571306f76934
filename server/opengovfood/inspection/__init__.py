"""Inspection domain knowledge, pure: the Food Code catalogue and the computed score.

Nothing here does I/O besides reading the package's own data file (`foodcode.toml`), and
nothing imports gRPC, SQLAlchemy or protobuf, so every layer below the servicers may use it.
"""
