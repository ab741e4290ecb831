"""Class mode's storage (docs/design.md §8): the only code that speaks SQL.

SQLite embedded by default, PostgreSQL when several processes or hosts serve one class; the schema
versioned by Alembic migrations (``migrations/``). ``database`` opens and migrates, ``schema`` names
the tables, ``classes`` is the repository the pages call, ``ratelimit`` counts joins per session.
"""

from nnviz.store.classes import ClassError, Classes, clean_nickname
from nnviz.store.database import StoreError, open_store
from nnviz.store.ratelimit import RateLimit

__all__ = ["ClassError", "Classes", "RateLimit", "StoreError", "clean_nickname", "open_store"]
