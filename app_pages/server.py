"""What every session of one server process shares: the turns in which trainings run and the
locks that make one experiment train once. The pages and their parts take them from here."""

from __future__ import annotations

import streamlit as st

from nnviz.models.turns import KeyedLocks, Turns

TRAININGS_AT_ONCE = 1  # per server process (nnviz.models.turns)


@st.cache_resource
def training_locks() -> KeyedLocks:
    """One lock per experiment: a second session asking for it waits for the first's result."""
    return KeyedLocks()


@st.cache_resource
def training_turns() -> Turns:
    """One training at a time in this server process, the others waiting in order: with one
    interpreter (the GIL), trainings in turns finish sooner on average than all at once."""
    return Turns(TRAININGS_AT_ONCE)
