"""The tables at the head revision, for the repository's queries (SQLAlchemy Core).

The migrations in ``migrations/versions`` build these tables; they never import this module, so
that each revision stays what it was when it shipped. Times are seconds since the epoch (float):
the same type and arithmetic in SQLite and PostgreSQL.
"""

import sqlalchemy as sa

metadata = sa.MetaData()


def class_id() -> sa.Column:
    """The class a row belongs to: deleted with it."""
    return sa.Column(
        "class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False
    )


classes = sa.Table(
    "classes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(12), nullable=False, unique=True),
    sa.Column("secret_hash", sa.String(64), nullable=False),  # sha256 hex of the teacher's secret
    sa.Column("activity", sa.String(16), nullable=False),  # 'predict' | 'grid'
    sa.Column("experiment_json", sa.Text, nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("answers_json", sa.Text, nullable=False),
    sa.Column("grid_json", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float),  # revision 0002; always set by the repository
    sa.Column("closed", sa.Boolean, nullable=False),
    sa.Column("revealed", sa.Boolean, nullable=False),
)

students = sa.Table(
    "students",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    class_id(),
    sa.Column("nickname", sa.String(64), nullable=False),  # the only thing stored about a person
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("joined_at", sa.Float, nullable=False),
    sa.Column("cell", sa.String(200)),
    sa.Column("answer", sa.Text),
    sa.Column("prediction", sa.Text),
    sa.UniqueConstraint("class_id", "nickname"),
)

results = sa.Table(
    "results",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    class_id(),
    sa.Column("cell", sa.String(200), nullable=False),
    sa.Column("student_id", sa.Integer, sa.ForeignKey("students.id", ondelete="SET NULL")),
    sa.Column("metrics_json", sa.Text, nullable=False),
    sa.Column("saved_at", sa.Float, nullable=False),
    sa.UniqueConstraint("class_id", "cell"),
    sa.Index("ix_results_class_saved", "class_id", "saved_at"),  # revision 0002: the board's poll
)
