"""Alembic's script directory, run from code (``nnviz.store.database.alembic_config``)."""
