"""Persistence: SQLAlchemy models, repositories (all queries live there) and Alembic migrations."""
