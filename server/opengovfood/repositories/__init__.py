"""Data access: SQLAlchemy statements, no business rules and no protobuf."""
