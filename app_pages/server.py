"""What every session of one server process shares: the turns in which trainings run, and what
was trained, kept once for everyone. The pages and their parts take them from here."""

from __future__ import annotations

from typing import Any

import streamlit as st

from nnviz.models.turns import TrainedOnce, Turns

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
