"""Classes expire; the board reads a class's results by time.

Classes made before this revision get created_at + 24 h: long enough for any lesson that was
running, short enough that old codes stop working. The column stays nullable in the table (SQLite
cannot add NOT NULL without rebuilding ``classes``, which would cascade into ``students``); the
repository always sets it.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

EARLIER_CLASSES_LAST = 24 * 3600.0  # seconds


def upgrade() -> None:
    op.add_column("classes", sa.Column("expires_at", sa.Float))
    classes = sa.table("classes", sa.column("created_at", sa.Float), sa.column("expires_at"))
    op.execute(classes.update().values(expires_at=classes.c.created_at + EARLIER_CLASSES_LAST))
    op.create_index("ix_results_class_saved", "results", ["class_id", "saved_at"])


def downgrade() -> None:
    op.drop_index("ix_results_class_saved", table_name="results")
    op.drop_column("classes", "expires_at")
