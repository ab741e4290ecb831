"""Alembic's environment: migrate on the connection ``open_store`` hands over.

That connection is already inside the transaction that holds the migration lock, so Alembic opens
none of its own and the caller commits (or rolls back) the whole upgrade at once.
"""

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("nnviz migrations run through nnviz.store.database.open_store")
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
