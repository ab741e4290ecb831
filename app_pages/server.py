"""What every session of one server process shares: the turns in which trainings run, and what
was trained, kept once for everyone. The pages and their parts take them from here."""

from __future__ import annotations

from typing import Any

import streamlit as st

from nnviz.models.turns import TrainedOnce, Turns
from nnviz.store import ClassError, Classes, RateLimit, StoreError, open_store
from nnviz.store.database import database_url

__all__ = ["ClassError", "StoreError", "class_store", "join_limit", "trained", "training_turns"]

TRAININGS_AT_ONCE = 1  # per server process (nnviz.models.turns)
KEEP = {  # results kept per server process, by the page that trains them
    "lab": 32,  # experiments: a lesson opened by a class is trained once
    "sweep": 16,  # maps: each up to 144 runs, so fewer
}


@st.cache_resource
def trained(page: str) -> TrainedOnce[Any, Any]:
    """The results ``page`` has trained (by frozen config), shared by every session: a second
    session asking for one being trained waits for it instead of training it again."""
    if page not in KEEP:
        raise ValueError(f"page must be one of {', '.join(KEEP)}, got {page!r}")
    return TrainedOnce(KEEP[page])


@st.cache_resource
def training_turns() -> Turns:
    """One training at a time in this server process, the others waiting in order: with one
    interpreter (the GIL), trainings in turns finish sooner on average than all at once."""
    return Turns(TRAININGS_AT_ONCE)


# --- class mode: the class database (docs/design.md §8) -------------------------------------------

JOINS_PER_MINUTE = 10  # per browser session: a join form is not a way to try codes


@st.cache_resource(show_spinner=False)
def class_store() -> Classes:
    """The class repository on the database of ``NNVIZ_DATABASE_URL`` (default: the SQLite file),
    opened and migrated once per server process. A ``StoreError`` is not cached: the next run
    tries again, so a database that comes back is used without a restart."""
    return Classes(open_store(database_url()))


@st.cache_resource(show_spinner=False)
def join_limit() -> RateLimit:
    """Joins allowed per browser session, shared by every session of this process."""
    return RateLimit(JOINS_PER_MINUTE, 60.0)
