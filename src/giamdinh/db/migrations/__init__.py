"""Alembic migrations of the operational store (``giamdinh.db:migrations``)."""
