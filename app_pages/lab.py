"""The training lab: 1 to 4 runs trained together, compared side by side.

Widgets, layout, cache calls and calls into nnviz only. The applied Experiment in
``st.session_state.exp`` is the single source of truth (cache key and URL); the widgets hold the
settings being edited, inside fragments, so moving a slider reruns only its own panel and never
trains. Train (or a structural button: add, duplicate, remove, lesson, new data) applies them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from app_pages import inside
from nnviz.engine.config import DATASETS, MAX_SEED, MAX_UNITS, Experiment
from nnviz.engine.data import DataError, Dataset
from nnviz.engine.lessons import LESSONS
from nnviz.engine.network import ACTIVATIONS, INITS
from nnviz.engine.optim import OPTIMIZERS
from nnviz.engine.train import History, run_experiment
from nnviz.views import exports, figures
from nnviz.views import lab_model as lab
from nnviz.views.formulas import INIT_NAMES, formula_sections

RUNS_PER_ROW = 2  # four runs side by side are too narrow to read on a laptop or a projector
PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


# --- cached work: keyed by the frozen Experiment (it names the CSV by digest) ------------------


@st.cache_data(max_entries=32, show_spinner=False)
def train(exp: Experiment, _csv: bytes | None) -> tuple[Dataset, list[History]]:
    data = lab.load_dataset(exp, _csv)
    return data, run_experiment(exp, data)


@st.cache_resource
def training_locks() -> lab.KeyedLocks:
    """Shared by every session of this server process."""
    return lab.KeyedLocks()


def trained(exp: Experiment, csv: bytes | None) -> tuple[Dataset, list[History]]:
    """``train``, but an experiment many sessions ask for at once is trained only once."""
    with training_locks().lock(exp):
        return train(exp, csv)


@st.cache_resource(max_entries=16, show_spinner=False)
def charts(exp: Experiment, _csv: bytes | None) -> dict:
    """Every figure of one experiment, built once and shared read-only across sessions."""
    data, histories = train(exp, _csv)
    labels = lab.run_labels(exp)
    return {
        "cost": figures.cost_figure(histories, labels, log_y=False),
        "cost_log": figures.cost_figure(histories, labels, log_y=True),
        "accuracy": figures.accuracy_figure(histories, labels),
        "replay": figures.replay_figure(histories, data, labels),
    }


@st.cache_resource(max_entries=16, show_spinner=False)
def boundaries(exp: Experiment, _csv: bytes | None, show_test: bool) -> list:
    """Each run's decision boundary; built again only when the test points are toggled."""
    data, histories = train(exp, _csv)
    labels = lab.run_labels(exp)
    return [
        figures.boundary_figure(h, data, label, i, show_test=show_test)
        for i, (h, label) in enumerate(zip(histories, labels))
    ]


# --- state --------------------------------------------------------------------------------------


def csv_content() -> bytes | None:
    upload = st.session_state.get("csv")
    return upload["content"] if upload else None


def csv_source() -> str:
    upload = st.session_state.get("csv")
    return upload["digest"] if upload else ""


def set_experiment(exp: Experiment) -> None:
    """Make ``exp`` the applied experiment and show its values in every widget."""
    st.session_state.exp = exp
    st.session_state.apply_error = None
    for key, value in lab.widget_values(exp).items():
        st.session_state[key] = value


def init_state() -> None:
    """First run of a session: the experiment comes from the URL (or the default)."""
    if "exp" in st.session_state:
        return
    exp, warnings = lab.experiment_from_url(st.query_params.to_dict())
    set_experiment(exp)
    st.session_state.url_warnings = warnings
    lesson = lab.lesson_for(exp)
    st.session_state.lesson = lesson.key if lesson else None


def edited() -> Experiment:
    """The experiment the widgets describe now (the applied one if they don't form one)."""
    exp = st.session_state.exp
    try:
        return lab.experiment_from_widgets(
            st.session_state, len(exp.runs), csv_source(), exp.log_every
        )
    except (ValueError, KeyError):
        return exp


def apply(exp: Experiment | None = None) -> None:
    """Callback: train what the widgets (or ``exp``) say, unless the data can't be loaded."""
    exp = exp or edited()
    try:
        data = lab.load_dataset(exp, csv_content())
    except DataError as e:
        st.session_state.apply_error = str(e)
        return
    reason = lab.too_long(exp, data.X_train.shape[1])
    if reason:
        st.session_state.apply_error = f"{reason} The results shown are the previous ones."
        return
    set_experiment(exp)
    st.session_state.url_warnings = []


def apply_and_rerun(exp: Experiment | None = None) -> None:
    """For callbacks of widgets inside a fragment: apply, then rerun the whole page."""
    apply(exp)
    st.rerun()


def restructure(change: Callable[..., Experiment], *args: int) -> None:
    """Callback: add, duplicate or remove a run, keeping the edits made so far."""
    apply(change(edited(), *args))


def load_lesson(key: str) -> None:
    set_experiment(LESSONS[key].experiment)
    st.session_state.lesson = key
    st.session_state.url_warnings = []


def new_data() -> None:
    st.session_state.seed = int(st.session_state.seed) + 1
    apply_and_rerun()


def on_upload() -> None:
    """Callback of the CSV uploader: keep the file if it is usable, else say why."""
    upload = st.session_state.get("csv_file")
    if upload is None:
        return
    content = upload.getvalue()
    exp = st.session_state.exp
    source, error = lab.check_upload(content, float(st.session_state.test_fraction), exp.seed)
    st.session_state.csv_error = error
    if error is None:
        st.session_state.csv = {"name": upload.name, "content": content, "digest": source}
        apply_and_rerun()


# --- the sidebar: data, network, training length ------------------------------------------------


def choice(
    label: str,
    key: str,
    choices: Sequence[Any],
    fmt: Callable[[Any], str] = lab.fmt,
    **kwargs: Any,
) -> None:
    """A select slider over log-spaced (or listed) choices, plus the current value if off-grid."""
    options = lab.with_value(choices, st.session_state.get(key))
    st.select_slider(label, options, key=key, format_func=fmt, **kwargs)


def data_controls() -> None:
    st.header("Data")
    names = (*DATASETS, "csv")
    st.selectbox(
        "Data set", names, key="dataset", format_func=lambda n: "upload CSV…" if n == "csv" else n
    )
    from_file = st.session_state.dataset == "csv"
    if from_file:
        st.file_uploader(
            "CSV file: header x1,x2,label; labels 0/1",
            type=["csv"],
            key="csv_file",
            on_change=on_upload,
        )
        if st.session_state.get("csv_error"):
            st.error(st.session_state.csv_error)
        elif st.session_state.get("csv"):
            st.caption(f"Using {st.session_state.csv['name']}")
    hint = "not used for an uploaded CSV" if from_file else None
    choice(
        "Samples (train + test)", "samples", lab.SAMPLE_CHOICES, str, disabled=from_file, help=hint
    )
    choice("Noise", "noise", lab.NOISE_CHOICES, disabled=from_file, help=hint)
    choice("Test share", "test_fraction", lab.TEST_CHOICES, lambda v: f"{100 * v:.0f}%")
    seed, button = st.columns(2, vertical_alignment="bottom")
    seed.number_input("Seed", min_value=0, max_value=MAX_SEED, step=1, key="seed")
    button.button(
        "New data",
        key="new_data",
        icon=":material/casino:",
        on_click=new_data,
        help="Seed + 1: new points, new initial weights; trains at once",
        width="stretch",
    )


def network_controls() -> None:
    st.header("Network")
    choice("Hidden layers", "layers", lab.LAYER_CHOICES, str)
    layers = int(st.session_state.layers)
    if layers:
        st.caption("Units in each hidden layer")
    cols = st.columns(3)
    for k in range(layers):
        key = lab.width_key(k)
        st.session_state.setdefault(key, st.session_state.get(lab.width_key(k - 1), 8))
        cols[k % 3].number_input(f"Layer {k + 1}", 1, MAX_UNITS, step=1, key=key)
    st.selectbox(
        "Activation g (hidden layers)",
        list(ACTIVATIONS),
        key="activation",
        help="The output layer is always a sigmoid.",
    )
    st.header("Training")
    choice("Epochs", "epochs", lab.EPOCH_CHOICES, lambda v: f"{v:,}")
    choice(
        "Mini-batch size", "batch_size", lab.BATCH_CHOICES, lab.fmt_batch, help="full = all points"
    )


@st.fragment
def shared_controls() -> None:
    data_controls()
    network_controls()
    if lab.shared_changed(edited(), st.session_state.exp):
        st.warning("Changed — press **Train** to apply.")


# --- one run's settings -------------------------------------------------------------------------


@st.fragment
def run_controls(i: int) -> None:
    def key(name: str) -> str:
        return lab.run_key(i, name)

    optimizer = st.selectbox(
        "Optimizer",
        list(OPTIMIZERS),
        key=key("optimizer"),
        format_func=lambda o: OPTIMIZERS[o].title,
    )
    st.selectbox("Initialization", list(INITS), key=key("init"), format_func=INIT_NAMES.get)
    choice("α — learning rate", key("lr"), lab.LR_CHOICES)
    choice("λ — L2 strength", key("lambd"), lab.LAMBDA_CHOICES)
    choice(
        "keep_prob — dropout",
        key("keep_prob"),
        lab.KEEP_CHOICES,
        help="Probability of keeping a hidden unit in each training step; 1 = no dropout.",
    )
    unused = lab.unused(optimizer)
    with st.expander("β₁, β₂, ε — advanced"):
        for name, label, choices in (
            ("beta1", "β₁ — momentum", lab.BETA1_CHOICES),
            ("beta2", "β₂ — RMS decay", lab.BETA2_CHOICES),
            ("epsilon", "ε — keeps √s + ε > 0", lab.EPSILON_CHOICES),
        ):
            hint = f"Used by {lab.users_of(name)} only."
            choice(label, key(name), choices, disabled=name in unused, help=hint)
        if unused:
            names = ", ".join(lab.SYMBOLS[n] for n in ("beta1", "beta2", "epsilon") if n in unused)
            st.caption(f"{OPTIMIZERS[optimizer].title} does not use {names}: disabled.")
    if lab.run_changed(edited(), st.session_state.exp, i):
        st.button(
            "Changed: train now",
            key=f"train_{i}",
            icon=":material/play_arrow:",
            type="primary",
            on_click=apply_and_rerun,
            width="stretch",
        )


def run_header(i: int, n_runs: int) -> None:
    color = figures.run_color(i)
    title, dup, rm = st.columns([3, 2, 2], vertical_alignment="center")
    title.markdown(
        f"<span style='color:{color};font-size:1.3em'>■</span> **Run {i + 1}**",
        unsafe_allow_html=True,
    )
    dup.button(
        "Duplicate",
        key=f"duplicate_{i}",
        help=f"Add a copy of run {i + 1}",
        on_click=restructure,
        args=(lab.duplicate_run, i),
        disabled=n_runs >= lab.MAX_RUNS,
        type="tertiary",
    )
    rm.button(
        "Remove",
        key=f"remove_{i}",
        help=f"Remove run {i + 1}",
        on_click=restructure,
        args=(lab.remove_run, i),
        disabled=n_runs <= 1,
        type="tertiary",
    )


# --- page sections ------------------------------------------------------------------------------


def lesson_info() -> None:
    key = st.session_state.get("lesson")
    if key in LESSONS:
        lesson = LESSONS[key]
        changed = "" if lab.lesson_for(st.session_state.exp) else " *(settings changed since)*"
        st.info(f"**{lesson.title}**{changed}\n\n{lesson.explain}")


def notices() -> None:
    warnings = st.session_state.get("url_warnings")
    if warnings:
        st.warning(
            "Some link settings were not usable:\n\n" + "\n".join(f"- {w}" for w in warnings)
        )
    if st.session_state.get("apply_error"):
        st.error(st.session_state.apply_error)


def action_bar(exp: Experiment) -> None:
    """Train and Add run, then one button per lesson, in one wrapping row."""
    row = st.container(horizontal=True, vertical_alignment="center")
    row.button("Train", key="train", icon=":material/play_arrow:", type="primary", on_click=apply)
    row.button(
        "Add run",
        key="add_run",
        icon=":material/add:",
        on_click=restructure,
        args=(lab.add_run,),
        disabled=len(exp.runs) >= lab.MAX_RUNS,
    )
    row.markdown("**Lessons:**", width="content")
    for lesson in LESSONS.values():
        row.button(
            lesson.title.split(":")[0],
            key=f"lesson_{lesson.key}",
            icon=":material/school:",
            help=lesson.title,
            on_click=load_lesson,
            args=(lesson.key,),
        )


def status(exp: Experiment, data: Dataset, histories: list[History]) -> None:
    n_train, n_test = data.X_train.shape[1], data.X_test.shape[1]
    st.caption(
        f"{len(exp.runs)} runs trained together in {histories[0].seconds:.4f} s on {n_train} "
        f"training and {n_test} test points. Background: predicted P(y = 1), blue 0 → orange 1; "
        "black line: the decision boundary P = 0.5; ● training points, ◆ test points, "
        "✕ misclassified."
    )


def run_grid(exp: Experiment, boundary_figures: list) -> None:
    """Two runs per row: each run's boundary above the controls that made it."""
    n = len(exp.runs)
    for first in range(0, n, RUNS_PER_ROW):
        cols = st.columns(RUNS_PER_ROW, gap="medium")
        for i, col in zip(range(first, min(first + RUNS_PER_ROW, n)), cols):
            with col:
                run_header(i, n)
                st.plotly_chart(
                    boundary_figures[i],
                    key=f"boundary_{i}",
                    config=PLOT_CONFIG,
                    alt=f"run {i + 1}",
                )
                run_controls(i)


def curves(views: dict) -> None:
    st.subheader("Learning curves")
    log = st.toggle("Log scale for the cost", key="log_cost")
    st.caption(
        "Solid: on the training set (the cost J includes the L2 term λ/(2m)·Σ‖W‖²). "
        "Dashed: on the test set (cross-entropy only). Epoch 0 is before any update."
    )
    cost, accuracy = st.columns(2, gap="medium")
    cost.plotly_chart(views["cost_log" if log else "cost"], key="cost", config=PLOT_CONFIG)
    accuracy.plotly_chart(views["accuracy"], key="accuracy", config=PLOT_CONFIG)


def metrics(exp: Experiment, histories: list[History]) -> None:
    st.subheader("Final numbers")
    labels = lab.run_labels(exp)
    st.table(lab.format_metrics(lab.metrics_rows(histories, labels)))
    st.caption(
        "Runs train together in one batched computation, so they share one time. "
        "To share this experiment, copy the address bar: it holds every setting."
    )
    downloads(exp, histories, labels)


def downloads(exp: Experiment, histories: list[History], labels: tuple[str, ...]) -> None:
    files = [
        ("Curves (CSV)", exports.histories_csv(histories, labels), "nnviz-curves.csv", "text/csv"),
        ("Config (JSON)", exports.config_json(exp), "nnviz-config.json", "application/json"),
    ]
    files += [
        (
            f"Weights, run {i + 1} (.npz)",
            exports.weights_npz(h),
            f"{exports.file_stem(i, label)}.npz",
            "",
        )
        for i, (h, label) in enumerate(zip(histories, labels))
    ]
    keys = ["download_curves", "download_config"]
    keys += [f"download_weights_{i}" for i in range(len(histories))]
    row = st.container(horizontal=True)
    for (label, data, name, mime), key in zip(files, keys):
        row.download_button(
            label,
            data,
            file_name=name,
            mime=mime or "application/octet-stream",
            key=key,
            icon=":material/download:",
            on_click="ignore",
        )


def replay(views: dict) -> None:
    st.subheader("Replay")
    st.caption("Every run's boundary at the same epoch, from snapshots saved during training.")
    st.plotly_chart(views["replay"], key="replay", config=PLOT_CONFIG)


def formulas(exp: Experiment, data: Dataset) -> None:
    # a toggle, not an expander: the LaTeX is only sent (and typeset) when asked for, which
    # keeps opening the page about half a second faster
    st.subheader("Formulas")
    if st.toggle("Show the formulas, with a run's numbers", key="show_formulas"):
        labels = lab.run_labels(exp)
        i = st.selectbox(
            "Formulas of run",
            range(len(exp.runs)),
            key="formula_run",
            format_func=lambda k: f"{k + 1}: {labels[k]}",
        )
        run = exp.runs[min(i or 0, len(exp.runs) - 1)]
        for heading, lines in formula_sections(run, data.X_train.shape[1]):
            st.markdown(heading)
            for line in lines:
                st.latex(line)


# --- the page -----------------------------------------------------------------------------------


def main() -> None:
    init_state()
    st.title("nnviz · training lab")
    st.caption(
        "How λ (L2), the optimizer and the initialization change what a small network learns. "
        "Set the data and network on the left, each run below, then press Train."
    )
    with st.sidebar:
        shared_controls()
    exp = st.session_state.exp
    action_bar(exp)
    lesson_info()
    notices()
    epochs = exp.runs[0].epochs
    with st.spinner(f"Training {len(exp.runs)} runs for {epochs:,} epochs…", show_time=True):
        data, histories = trained(exp, csv_content())
        views = charts(exp, csv_content())
    status(exp, data, histories)
    show_test = st.toggle(
        "Show test points", value=True, key="show_test", disabled=not data.has_test
    )
    run_grid(exp, boundaries(exp, csv_content(), show_test))
    curves(views)
    metrics(exp, histories)
    replay(views)
    inside.panel(exp, data, histories, lab.run_labels(exp))
    formulas(exp, data)
    params = lab.url_params(exp)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


main()
