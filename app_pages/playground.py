"""Optimizer playground: gradient descent, momentum, RMSprop and Adam racing across a 2-D surface.

Widgets -> one frozen ``Playground`` config -> cached race (the engine's own update rules) ->
figures. The config round-trips through the URL, so a link reproduces the race.
"""

from __future__ import annotations

import streamlit as st

from app_pages.parts import charts
from nnviz.engine.schedules import SCHEDULES
from nnviz.models import playground_settings as pg
from nnviz.models.formulas import LABELS
from nnviz.models.playground_steps import nudged, press_step
from nnviz.playground.surfaces import SURFACES
from nnviz.playground.trajectory import RULES, bias_corrections, gd_steps
from nnviz.views.playground_figures import OPTIMIZER_COLORS, loss_label, race_figure
from nnviz.views.playground_panels import bias_figure, steps_figure, tuning_figure

SS = st.session_state
SHARED = {  # key -> help: the hyperparameters every optimizer that uses them shares
    "beta1": "decay of v, the average of g (momentum and Adam)",
    "beta2": "decay of s, the average of g² (RMSprop and Adam)",
    "epsilon": "added to √s so the division stays finite (RMSprop and Adam)",
}
ADAMS = ("adam", "adam_nobias")  # the racers "Inside Adam" looks into
RACER_HELP = {"adam_nobias": "Adam without bias correction: v̂ = v and ŝ = s (the lesson shows why)"}
RULES_NOTE = (
    "t counts updates from 1. These are the same functions (`nnviz.engine.optim`) that train the "
    "networks in the training lab; Adam without bias correction is the engine's Adam told t = ∞."
)
# Plotly's Pause (and a slider click during Play) interrupts Plotly.animate, which rejects the
# interrupted call's promise without a reason; plotly.js's own buttons and slider don't catch it,
# so every Pause logged "Uncaught (in promise) undefined". This catches exactly those: rejections
# without a reason within a second of pressing a chart's animation controls.
PAUSE_GUARD = """<script>
(() => {
  const w = window.parent || window;
  if (w.__nnvizPauseGuard) return;
  w.__nnvizPauseGuard = true;
  let until = 0;
  const controls = ".updatemenu-container, .slider-container";
  const mark = (e) => {
    if (e.target.closest && e.target.closest(controls)) until = Date.now() + 1000;
  };
  w.document.addEventListener("pointerdown", mark, true);
  w.document.addEventListener("pointerup", mark, true);
  w.addEventListener("unhandledrejection", (e) => {
    if (e.reason === undefined && Date.now() < until) e.preventDefault();
  });
})();
</script>"""


# --- cached work: keyed by the frozen config; results and figures are never mutated -------------


@st.cache_resource(max_entries=32, show_spinner=False)
def scans(cfg: pg.Playground):
    return pg.tuned(cfg)


@st.cache_resource(max_entries=32, show_spinner=False)
def race(cfg: pg.Playground):
    return pg.run(cfg, scans(cfg))


@st.cache_resource(max_entries=16, show_spinner=False)
def race_chart(cfg: pg.Playground):
    surface = pg.build_surface(cfg)
    return race_figure(surface, pg.grid(surface), race(cfg))


@st.cache_resource(max_entries=16, show_spinner=False)
def adam_charts(cfg: pg.Playground):
    paths = {name: p for name, p in race(cfg).items() if name in ADAMS}
    first = next(iter(paths.values()))
    c1, c2 = bias_corrections(cfg.beta1, cfg.beta2, max(first.steps_taken, 1))
    adam = paths.get("adam")
    gd = gd_steps(adam.g, adam.hyper.lr) if adam else None
    return (
        bias_figure(c1, c2, cfg.beta1, cfg.beta2),
        steps_figure(paths, gd, first.hyper.lr),
    )


@st.cache_resource(max_entries=16, show_spinner=False)
def tuning_chart(cfg: pg.Playground):
    return tuning_figure(scans(cfg), loss_label(pg.build_surface(cfg)))


# --- config <-> widgets ------------------------------------------------------------------------


def push(cfg: pg.Playground) -> None:
    """Show ``cfg`` in the widgets (before they are drawn)."""
    surface = SURFACES[cfg.surface]
    values = {"surface": cfg.surface, "tune": cfg.tune, "decay": cfg.decay}
    values.update({f: getattr(cfg, f) for f in pg.NUMBER_FIELDS})
    for name in RULES:
        racer = cfg.racer(name)
        values[f"on_{name}"] = racer is not None
        values[f"lr_{name}"] = racer.lr if racer else pg.default_lr(surface, name)
    for key, value in values.items():
        SS[f"pg_{key}"] = value
    SS["pg_config"] = cfg


def pull() -> pg.Playground | None:
    """The config the widgets describe; None if no racer is selected."""
    racers = tuple(pg.Racer(name, SS[f"pg_lr_{name}"]) for name in RULES if SS[f"pg_on_{name}"])
    if not racers:
        return None
    like = pg.Playground()
    numbers = {f: type(getattr(like, f))(SS[f"pg_{f}"]) for f in pg.NUMBER_FIELDS}
    choices = {"surface": SS.pg_surface, "tune": SS.pg_tune, "decay": SS.pg_decay}
    return pg.Playground(racers=racers, **choices, **numbers)


def on_surface_change() -> None:
    push(pg.default_config(SS.pg_surface, SS.pg_kappa))
    SS.pg_lesson = None


def on_lesson(key: str) -> None:
    push(pg.LESSONS[key].config)
    SS.pg_lesson = key


def on_nudge(key: str, grid: str) -> None:
    """A − or + press moves to the grid's neighbour; a typed number stays as typed."""
    SS[key] = nudged(grid, SS[f"{key}_drawn"], SS[key])


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


def number(key: str, label: str, grid: str | None = None, step: float = 0.1, **kwargs) -> None:
    """A number input within ``pg.LIMITS``; with a ``grid``, − and + walk steps.GRIDS[grid]."""
    low, high = pg.LIMITS[grid or key.removeprefix("pg_")]
    if grid:
        SS[f"{key}_drawn"] = SS[key]
        step = press_step(grid, SS[key])
        kwargs.update(on_change=on_nudge, args=(key, grid))
    st.number_input(label, min_value=low, max_value=high, step=step, format="%g", key=key, **kwargs)


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
            number("pg_kappa", "κ — condition number", "kappa", help="curvature ratio of the axes")
        left, right = st.columns(2)
        with left:
            number("pg_x0", "start x₀")
        with right:
            number("pg_y0", "start y₀")
        st.number_input("steps", *pg.LIMITS["steps"], step=100, key="pg_steps")
        number("pg_tol", "tolerance (distance to a minimum)", "tol")
        st.divider()
        for key, help in SHARED.items():
            number(f"pg_{key}", LABELS[key], key, help=help)
        st.divider()
        decay_controls()
        st.button("↺ Defaults for this surface", on_click=on_surface_change)


def decay_controls() -> None:
    """Learning-rate decay, shared by every racer, each from its own α₀ (drawn even when unused:
    Streamlit forgets the value of a widget that is not drawn)."""
    st.selectbox(
        "Learning-rate decay",
        list(SCHEDULES),
        format_func=lambda n: SCHEDULES[n].title,
        key="pg_decay",
    )
    schedule = SCHEDULES[SS.pg_decay]
    number("pg_decay_rate", "decay_rate", "decay_rate", disabled="decay_rate" not in schedule.uses)
    unused = "decay_interval" not in schedule.uses
    number("pg_decay_interval", "time_interval (updates)", step=10, disabled=unused)
    st.caption(
        f"{schedule.text}, each racer from its own α₀. Here one update is one epoch, and α is "
        "updated after each, as in the course's notebook."
    )


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
    st.radio(
        "Learning rates",
        list(pg.TUNE),
        format_func=pg.TUNE.get,
        key="pg_tune",
        horizontal=True,
        help="Tuned: each optimizer races at the α of the 1-2-5 grid from 10⁻⁴ to 10 that scores "
        "best by the same criterion, so the race compares optimizers, not learning rates.",
    )
    tuned = SS.pg_tune != "off"
    for col, (name, rule) in zip(st.columns(len(RULES)), RULES.items()):
        with col:
            bar = f"border-top: 5px solid {OPTIMIZER_COLORS[name]}; margin-bottom: 4px"
            st.markdown(f'<div style="{bar}"></div>', unsafe_allow_html=True)
            st.checkbox(rule.title, key=f"pg_on_{name}", help=RACER_HELP.get(name))
            off = tuned or not SS[f"pg_on_{name}"]
            label = "α — tuned: see the table" if tuned else LABELS["lr"]
            number(f"pg_lr_{name}", label, "lr", disabled=off)


def results(cfg: pg.Playground) -> None:
    charts.plot(st, race_chart(cfg), "pg_race")
    paths = race(cfg)
    for name, path in paths.items():
        if path.diverged_at is not None:
            x, y = path.theta[-1]
            st.warning(
                f"**{RULES[name].title} diverged at step {path.diverged_at}**: θ became "
                f"non-finite or left |θ| ≤ 10⁶. Its path stops at its last finite point "
                f"({x:.3g}, {y:.3g}), marked ×. Try a smaller α."
            )
    rows = pg.table_rows(cfg, paths)
    if cfg.tune == "off":
        st.table(rows, hide_index=True)
        return
    left, right = st.columns([3, 2])
    left.table(rows, hide_index=True)
    left.caption(pg.tuning_note(cfg, scans(cfg)))
    charts.plot(right, tuning_chart(cfg), "pg_tuning")


def adam_panel(cfg: pg.Playground) -> None:
    st.subheader("Inside Adam: what “bias-corrected” means")
    if not any(cfg.racer(name) for name in ADAMS):
        st.info("Add Adam to the race to see its internals.")
        return
    st.markdown(
        "v and s start at 0, so their first averages are too small: after t steps of a constant "
        "gradient, v is only (1 − β₁ᵗ) of it. Adam divides v by 1 − β₁ᵗ and s by 1 − β₂ᵗ "
        "(**left**, read off the engine's Adam). With the corrections, Adam's first steps are "
        "about α in **every** coordinate (**right**, solid), while gradient descent's α·g at the "
        "same points (dashed) is as large or as small as the gradient; Adam without the "
        "corrections (when it races) steps α·(1 − β₁ᵗ)/√(1 − β₂ᵗ) at first."
    )
    bias, steps = adam_charts(cfg)
    left, right = st.columns([2, 3])
    charts.plot(left, bias, "pg_bias")
    charts.plot(right, steps, "pg_steps_chart")


def update_rules() -> None:
    """Typeset only when asked: KaTeX costs the page's first paint time."""
    if not st.toggle("Show the update rules", key="pg_rules"):
        return
    for rule in RULES.values():
        st.markdown(f"**{rule.title}**")
        for line in rule.formula:
            st.latex(line)
    st.caption(RULES_NOTE)


# --- the page ------------------------------------------------------------------------------------


def main() -> None:
    st.title("Optimizer playground")
    st.caption(
        "Gradient descent, momentum, RMSprop and Adam race across a 2-D loss surface, stepped by "
        "the same update rules that train the networks. Press ▶ Play under the chart, or drag the "
        "step slider."
    )
    url_warnings = load_once()
    if url_warnings:
        lines = "\n".join(f"- {w}" for w in url_warnings)
        st.warning("Some URL settings were not usable:\n\n" + lines)
    sidebar()
    lessons()
    surface = SURFACES[SS.pg_surface]
    st.markdown(f"**{surface.title}** — {surface.formula}. {surface.explain}")
    racers()
    config = pull()
    if config is None:
        st.warning("Pick at least one optimizer to race.")
        return
    SS.pg_config = config
    sync_url(config)
    results(config)
    adam_panel(config)
    update_rules()
    st.html(PAUSE_GUARD, unsafe_allow_javascript=True)


main()
