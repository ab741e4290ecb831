"""Optimizer playground: gradient descent, momentum, RMSprop and Adam racing across a 2-D surface.

Widgets -> one frozen ``Playground`` config -> cached race (the engine's own update rules) ->
figures. The config round-trips through the URL, so a link reproduces the race.
"""

import pandas as pd
import streamlit as st

from nnviz.engine.optim import OPTIMIZERS
from nnviz.playground import settings as pg
from nnviz.playground.surfaces import SURFACES
from nnviz.playground.trajectory import bias_corrections, gd_steps
from nnviz.views.playground_figures import OPTIMIZER_COLORS, bias_figure, race_figure, steps_figure

SS = st.session_state
SHARED = (  # key, label, help: the hyperparameters every optimizer that uses them shares
    ("beta1", "β₁ — momentum", "decay of v, the average of g (momentum and Adam)"),
    ("beta2", "β₂ — RMS decay", "decay of s, the average of g² (RMSprop and Adam)"),
    ("epsilon", "ε", "added to √s so the division stays finite (RMSprop and Adam)"),
)
RULES = r"""
| optimizer | state update | parameter update |
|---|---|---|
| gradient descent | — | θ ← θ − α g |
| momentum | v ← β₁ v + (1 − β₁) g | θ ← θ − α v |
| RMSprop | s ← β₂ s + (1 − β₂) g² | θ ← θ − α g / (√s + ε) |
| Adam | v and s as above | θ ← θ − α v̂ / (√ŝ + ε), v̂ = v / (1 − β₁ᵗ), ŝ = s / (1 − β₂ᵗ) |

t counts updates from 1. These are the same functions (`nnviz.engine.optim`) that train the
networks in the training lab.
"""


# --- cached work: keyed by the frozen config ---------------------------------------------------


@st.cache_data(max_entries=32, show_spinner=False)
def race(cfg: pg.Playground):
    return pg.run(cfg)


@st.cache_data(max_entries=16, show_spinner=False)
def race_chart(cfg: pg.Playground):
    surface = pg.build_surface(cfg)
    return race_figure(surface, pg.grid(surface), race(cfg))


@st.cache_data(max_entries=16, show_spinner=False)
def adam_charts(cfg: pg.Playground):
    adam = race(cfg)["adam"]
    c1, c2 = bias_corrections(cfg.beta1, cfg.beta2, max(adam.steps_taken, 1))
    return (
        bias_figure(c1, c2, cfg.beta1, cfg.beta2),
        steps_figure(adam, gd_steps(adam.g, adam.hyper.lr)),
    )


# --- config <-> widgets ------------------------------------------------------------------------


def push(cfg: pg.Playground) -> None:
    """Show ``cfg`` in the widgets (before they are drawn)."""
    surface = SURFACES[cfg.surface]
    values = {
        "surface": cfg.surface,
        "kappa": cfg.kappa,
        "x0": cfg.x0,
        "y0": cfg.y0,
        "steps": cfg.steps,
        "tol": cfg.tol,
        "beta1": cfg.beta1,
        "beta2": cfg.beta2,
        "epsilon": cfg.epsilon,
    }
    for name in OPTIMIZERS:
        racer = cfg.racer(name)
        values[f"on_{name}"] = racer is not None
        values[f"lr_{name}"] = racer.lr if racer else surface.lr[name]
    for key, value in values.items():
        SS[f"pg_{key}"] = value
    SS["pg_config"] = cfg


def pull() -> pg.Playground | None:
    """The config the widgets describe; None if no optimizer is selected."""
    racers = tuple(
        pg.Racer(name, SS[f"pg_lr_{name}"]) for name in OPTIMIZERS if SS[f"pg_on_{name}"]
    )
    if not racers:
        return None
    fields = ("kappa", "x0", "y0", "tol", "beta1", "beta2", "epsilon")
    return pg.Playground(
        surface=SS.pg_surface,
        steps=int(SS.pg_steps),
        racers=racers,
        **{f: float(SS[f"pg_{f}"]) for f in fields},
    )


def on_surface_change() -> None:
    push(pg.default_config(SS.pg_surface, SS.pg_kappa))
    SS.pg_lesson = None


def on_lesson(key: str) -> None:
    push(pg.LESSONS[key].config)
    SS.pg_lesson = key


def load_once() -> list[str]:
    """First visit: the URL decides; back from another page: the last config. Returns warnings."""
    if "pg_surface" in SS:
        return []
    if "pg_config" in SS:
        push(SS.pg_config)
        return []
    cfg, warnings = pg.from_query(st.query_params.to_dict())
    push(cfg)
    SS.pg_lesson = None
    return warnings


def sync_url(cfg: pg.Playground) -> None:
    params = pg.to_query(cfg)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


# --- panels --------------------------------------------------------------------------------------


def number(key: str, label: str, step: float, fmt: str = "%g", help: str | None = None) -> None:
    low, high = pg.LIMITS[key]
    st.number_input(
        label, min_value=low, max_value=high, step=step, format=fmt, key=f"pg_{key}", help=help
    )


def sidebar() -> None:
    with st.sidebar:
        st.selectbox(
            "Surface",
            list(SURFACES),
            format_func=lambda n: SURFACES[n].title,
            key="pg_surface",
            on_change=on_surface_change,
        )
        if SURFACES[SS.pg_surface].kappa is not None:
            number("kappa", "κ — condition number", 10.0, help="curvature ratio of the two axes")
        left, right = st.columns(2)
        with left:
            number("x0", "start x₀", 0.1)
        with right:
            number("y0", "start y₀", 0.1)
        st.number_input("steps", *pg.LIMITS["steps"], step=100, key="pg_steps")
        number("tol", "tolerance (distance to a minimum)", 0.005)
        st.divider()
        for key, label, help in SHARED:
            step = {"beta1": 0.01, "beta2": 0.001, "epsilon": 1e-8}[key]
            number(key, label, step, help=help)
        st.button("↺ Defaults for this surface", on_click=on_surface_change)


def lessons() -> None:
    st.markdown("**Lessons** — one click sets up a race that shows one effect:")
    with st.container(horizontal=True):
        for key, lesson in pg.LESSONS.items():
            active = SS.get("pg_lesson") == key
            st.button(
                lesson.title,
                key=f"pg_lesson_{key}",
                on_click=on_lesson,
                args=(key,),
                type="primary" if active else "secondary",
            )
    lesson = pg.LESSONS.get(SS.get("pg_lesson") or "")
    if lesson:
        st.info(f"**{lesson.title}.** {lesson.explain}")


def racers() -> None:
    for col, (name, opt) in zip(st.columns(len(OPTIMIZERS)), OPTIMIZERS.items()):
        with col:
            bar = f"border-top: 5px solid {OPTIMIZER_COLORS[name]}; margin-bottom: 4px"
            st.markdown(f'<div style="{bar}"></div>', unsafe_allow_html=True)
            st.checkbox(opt.title, key=f"pg_on_{name}")
            low, high = pg.LIMITS["lr"]
            st.number_input(
                "α — learning rate",
                min_value=low,
                max_value=high,
                step=0.001,
                format="%g",
                key=f"pg_lr_{name}",
                disabled=not SS[f"pg_on_{name}"],
            )


def results(cfg: pg.Playground) -> None:
    st.plotly_chart(race_chart(cfg), width="stretch", key="pg_race")
    paths = race(cfg)
    for name, path in paths.items():
        if path.diverged_at is not None:
            x, y = path.theta[-1]
            st.warning(
                f"**{OPTIMIZERS[name].title} diverged at step {path.diverged_at}**: θ became "
                f"non-finite or left |θ| ≤ 10⁶. Its path stops at its last finite point "
                f"({x:.3g}, {y:.3g}), marked ×. Try a smaller α."
            )
    st.table(pd.DataFrame(pg.table_rows(cfg, paths)).set_index("optimizer"))


def adam_panel(cfg: pg.Playground) -> None:
    st.subheader("Inside Adam: what “bias-corrected” means")
    if cfg.racer("adam") is None:
        st.info("Add Adam to the race to see its internals.")
        return
    st.markdown(
        "v and s start at 0, so their first averages are too small: after t steps of a constant "
        "gradient, v is only (1 − β₁ᵗ) of it. Adam divides v by 1 − β₁ᵗ and s by 1 − β₂ᵗ "
        "(**left**, read off the engine's Adam). With the corrections, Adam's first steps are "
        "about α in **every** coordinate (**right**, solid), while gradient descent's α·g at the "
        "same points (dashed) is as large or as small as the gradient."
    )
    bias, steps = adam_charts(cfg)
    left, right = st.columns([2, 3])
    left.plotly_chart(bias, width="stretch", key="pg_bias")
    right.plotly_chart(steps, width="stretch", key="pg_steps_chart")


# --- the page ------------------------------------------------------------------------------------

st.title("Optimizer playground")
st.caption(
    "Gradient descent, momentum, RMSprop and Adam race across a 2-D loss surface, stepped by the "
    "same update rules that train the networks. Press ▶ Play under the chart, or drag the step "
    "slider."
)
url_warnings = load_once()
if url_warnings:
    st.warning("Some URL settings were not usable:\n\n" + "\n".join(f"- {w}" for w in url_warnings))
sidebar()
lessons()
surface = SURFACES[SS.pg_surface]
st.markdown(f"**{surface.title}** — {surface.formula}. {surface.explain}")
racers()
config = pull()
if config is None:
    st.warning("Pick at least one optimizer to race.")
    st.stop()
SS.pg_config = config
sync_url(config)
results(config)
adam_panel(config)
with st.expander("The four update rules"):
    st.markdown(RULES)
