"""Database layer: engine and session factory, ORM models, Alembic migrations."""
