"""The Inside panel's "Gradient check" expander, and its bug hunt (docs/design.md §7).

``section(key, h, data, epoch)`` checks run ``h``'s backprop at its snapshot for ``epoch`` against
central differences, layer by layer. "Plant a bug" hides one bug in a copy of backprop; the table
then checks that copy, and the student names the wrong layer. The hunt lives in
st.session_state[HUNT]: the bug is in the code, not in θ, so it stays while the run or the epoch
changes. Widgets, layout and cache calls only: the numbers come from nnviz.engine.gradcheck.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from nnviz.engine import gradcheck as gc
from nnviz.engine.data import Dataset
from nnviz.engine.history import History

HUNT = "gradcheck_hunt"  # {"planted": Planted, "answer": the layer last named, or None}
PASS, FLAG = "✓ below 2e-7", "✗ flagged"


@st.cache_resource(max_entries=32, show_spinner="Computing g_approx…")
def _approx(key: tuple, epoch: int, _h: History, _data: Dataset) -> tuple[gc.Problem, gc.Approx]:
    p = gc.problem(_h, _data)
    return p, gc.approximate(p, gc.snapshot(_h, epoch)[1])


def section(key: tuple, h: History, data: Dataset, epoch: int) -> None:
    """The expander; nothing is computed until it is opened."""
    box = st.expander("Gradient check", key="gradcheck_open", on_change="rerun")
    if not box.open:
        return
    with box:
        p, approx = _approx(key, epoch, h, data)
        planted = _hunt(p)
        c = gc.compare(approx, gc.gradient(p, approx.theta, planted))
        st.caption(_caption(h, p, planted is not None))
        st.table(rows(c))
        if planted:
            _guess(p, planted)
        else:
            _offer_hunt(p, approx, any(c.flagged))


def _caption(h: History, p: gc.Problem, hunting: bool) -> str:
    whose = "A copy of backprop with one hidden bug" if hunting else "The engine's backprop"
    return (
        f"{whose}, against central differences (ε = 1e-7) of J on the first {p.m} training "
        f"examples: L2 term included (λ = {h.config.lambd:g}), dropout off (each pass would draw "
        "new masks: J(θ + ε) and J(θ − ε) would be two different functions). Flagged above 2e-7."
    )


NOISE = (
    "A layer whose gradient has vanished (‖g‖ below about 1e-3) is flagged with no bug: J's "
    "rounding, about 1e-16, divided by 2ε is then a visible share of it, and no bug can hide."
)


def rows(c: gc.Check) -> dict[str, list[str]]:
    """The table: one row per layer (W[l] and b[l] together), and the whole network."""
    layers = [f"{l}: W[{l}], b[{l}]" for l in range(1, len(c.layers) + 1)]
    sampled = [
        f"{n:,}" if n == size else f"{n:,} of {size:,}" for n, size in zip(c.checked, c.sizes)
    ]
    diffs = [*c.layers, c.network]
    return {
        "layer": [*layers, "network"],
        "parameters": [*sampled, f"{sum(c.checked):,}"],
        "‖g‖": [f"{v:.3g}" for v in c.g_norm] + [""],
        "‖g_approx‖": [f"{v:.3g}" for v in c.approx_norm] + [""],
        "difference": [f"{d:.1e}" for d in diffs],
        "check": [FLAG if gc.flagged(d) else PASS for d in diffs],
    }


# --- the bug hunt -------------------------------------------------------------------------------


def _offer_hunt(p: gc.Problem, approx: gc.Approx, flagged: bool) -> None:
    if flagged:
        st.caption(NOISE)
    st.button(
        "Bug hunt: plant a bug in a copy of backprop",
        key="gradcheck_plant",
        on_click=_plant,
        args=(p, approx),
    )
    if st.session_state.pop("gradcheck_none", False):
        st.info("No bug can hide at this run and epoch: try another epoch or run.")


def _plant(p: gc.Problem, approx: gc.Approx) -> None:
    planted = gc.plant(gc.hunt_candidates(p, approx), np.random.default_rng())
    if planted is None:
        st.session_state.gradcheck_none = True
    else:
        st.session_state[HUNT] = {"planted": planted, "answer": None}
        st.session_state.pop("gradcheck_guess", None)


def _hunt(p: gc.Problem) -> gc.Planted | None:
    """The planted bug, if a hunt is on and the bug fits this network (it may have fewer layers)."""
    hunt = st.session_state.get(HUNT)
    if hunt is None:
        return None
    planted = hunt["planted"]
    last = p.layout.L - 1 if gc.BUGS[planted.bug].hidden_only else p.layout.L
    if planted.layer > last:
        del st.session_state[HUNT]
        return None
    return planted


def _guess(p: gc.Problem, planted: gc.Planted) -> None:
    """Name a layer, be told; a wrong answer gets the rule, a right one the bug's line."""
    hunt = st.session_state[HUNT]
    st.radio(
        "Which layer of the copy is wrong?",
        range(1, p.layout.L + 1),
        index=None,
        key="gradcheck_guess",
        horizontal=True,
        format_func=lambda l: f"layer {l}",
    )
    row = st.container(horizontal=True)
    row.button("Check my answer", key="gradcheck_answer", on_click=_answer, type="primary")
    row.button("End the hunt", key="gradcheck_end", on_click=st.session_state.pop, args=(HUNT,))
    if hunt["answer"] == planted.layer:
        bug = gc.BUGS[planted.bug]
        st.success(
            f"Right: layer {planted.layer}, “{planted.bug}”. With l = {planted.layer} the copy "
            f"computed `{bug.line}` instead of `{bug.right}`."
        )
    elif hunt["answer"] is not None:
        st.error(
            f"Not layer {hunt['answer']}. Backprop runs from layer {p.layout.L} down to 1, and a "
            "wrong dZ[l] spoils every layer below l: look for the highest flagged layer."
        )


def _answer() -> None:
    st.session_state[HUNT]["answer"] = st.session_state.get("gradcheck_guess")
