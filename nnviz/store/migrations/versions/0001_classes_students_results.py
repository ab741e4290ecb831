"""Classes, their students and the grid's results.

Revision ID: 0001
Revises: none
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def class_id() -> sa.Column:
    return sa.Column(
        "class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "classes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(12), nullable=False, unique=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("activity", sa.String(16), nullable=False),
        sa.Column("experiment_json", sa.Text, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answers_json", sa.Text, nullable=False),
        sa.Column("grid_json", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("closed", sa.Boolean, nullable=False),
        sa.Column("revealed", sa.Boolean, nullable=False),
    )
    op.create_table(
        "students",
        sa.Column("id", sa.Integer, primary_key=True),
        class_id(),
        sa.Column("nickname", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("joined_at", sa.Float, nullable=False),
        sa.Column("cell", sa.String(200)),
        sa.Column("answer", sa.Text),
        sa.Column("prediction", sa.Text),
        sa.UniqueConstraint("class_id", "nickname"),
    )
    op.create_table(
        "results",
        sa.Column("id", sa.Integer, primary_key=True),
        class_id(),
        sa.Column("cell", sa.String(200), nullable=False),
        sa.Column("student_id", sa.Integer, sa.ForeignKey("students.id", ondelete="SET NULL")),
        sa.Column("metrics_json", sa.Text, nullable=False),
        sa.Column("saved_at", sa.Float, nullable=False),
        sa.UniqueConstraint("class_id", "cell"),
    )


def downgrade() -> None:
    op.drop_table("results")
    op.drop_table("students")
    op.drop_table("classes")
