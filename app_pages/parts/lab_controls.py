"""The lab's sidebar: every run's α, λ and λ₁, the rest of each run's settings, the data and the
network in popovers whose labels say what they hold.

The sidebar scrolls on its own, so the boundaries stay in view while a slider moves. A closed
popover's widgets are not drawn in the browser (they are still part of every script run, so they
keep their values): that keeps opening the lab fast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from app_pages.parts.lab_state import new_data, on_upload, restructure
from nnviz.engine.config import DATASETS, MAX_SEED, MAX_UNITS, Experiment
from nnviz.engine.data import MULTICLASS
from nnviz.engine.features import FEATURES, PLANE, labels
from nnviz.engine.network import ACTIVATIONS, INITS
from nnviz.engine.optim import OPTIMIZERS
from nnviz.engine.schedules import SCHEDULES
from nnviz.models import lab_model as lab
from nnviz.models.formulas import BN_CONVENTION, INIT_NAMES, LABELS

DECAY_RATES = (0.0, 0.001, 0.01, 0.1, 0.3, 1.0, 3.0, 10.0)  # 0.3, 1: the course's examples
DECAY_INTERVALS = (1, 10, 100, 200, 500, 1000, 2000, 5000)
RUN_DOTS = (":blue[■]", ":orange[■]", ":green[■]", ":violet[■]")  # markdown's nearest to RUN_COLORS


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


def data_summary() -> str:
    """The data settings in a few words: the label of the popover that edits them."""
    ss = st.session_state
    if ss.get("dataset") == "csv":
        name = ss["csv"]["name"] if ss.get("csv") else "no file yet"
        return f"CSV: {name} · test {100 * float(ss.get('test_fraction', 0)):.0f}%"
    return (
        f"{ss.get('dataset')}{classes_words()} · {ss.get('samples')} points"
        f" · noise {lab.fmt(ss.get('noise', 0))}"
        f" · test {100 * float(ss.get('test_fraction', 0)):.0f}% · seed {ss.get('seed')}"
    )


def classes_words() -> str:
    """' (3 classes)' for a K-class spiral or blobs; '' for two classes."""
    ss = st.session_state
    K = int(ss.get("classes", 2))
    return f" ({K} classes)" if ss.get("dataset") in MULTICLASS and K > 2 else ""


def network_summary() -> str:
    ss = st.session_state
    layers = int(ss.get("layers", 0))
    widths = ", ".join(str(ss.get(lab.width_key(k))) for k in range(layers))
    net = f"{layers} hidden ({widths}) {ss.get('activation')}" if layers else "no hidden layer"
    inputs = tuple(ss.get("features") or PLANE)
    if inputs != PLANE:
        net = f"inputs {', '.join(labels(inputs))} · {net}"
    size = int(ss.get("batch_size", 0))
    batch = f"mini-batch {size}" if size else "full batch"
    if size and not ss.get("shuffle", True):
        batch += ", not shuffled"
    return f"{net} · {int(ss.get('epochs', 0)):,} epochs · {batch}"


def data_controls() -> None:
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
    multi = st.session_state.dataset in MULTICLASS
    choice(
        "Classes",
        "classes",
        lab.CLASS_CHOICES,
        str,
        disabled=not multi,
        help="K ≥ 3: a softmax output of K units (spiral and blobs; a CSV's labels 0..K-1)"
        if multi
        else "spiral and blobs have 2 to 6 classes; this data set has 2",
    )
    choice("Test share", "test_fraction", lab.TEST_CHOICES, lambda v: f"{100 * v:.0f}%")
    seed, button = st.columns(2, vertical_alignment="bottom")
    seed.number_input("Seed", min_value=0, max_value=MAX_SEED, step=1, key="seed")
    button.button(
        "New data",
        key="new_data",
        icon=":material/casino:",
        on_click=new_data,
        help="Seed + 1: new points, new initial weights",
        width="stretch",
    )


def network_controls(exp: Experiment) -> None:
    if lab.mixed_architectures(exp):
        st.caption(
            "The runs have networks of their own (a lesson or a link set them): run 1's is shown "
            "here, and a change applies to every run."
        )
    st.multiselect(
        "Input features",
        list(FEATURES),
        key="features",
        format_func=lambda name: FEATURES[name].label,
        help="What the network sees of a point (x₁, x₂): n[0] is their count. The boundary is "
        "still drawn over the (x₁, x₂) plane.",
    )
    if not st.session_state.get("features"):
        st.caption(":red[Choose at least one input.]")
    choice("Hidden layers", "layers", lab.LAYER_CHOICES, str)
    layers = int(st.session_state.layers)
    if layers:
        st.caption("Units in each hidden layer")
    cols = st.columns(3)
    for k in range(layers):
        cols[k % 3].number_input(f"Layer {k + 1}", 1, MAX_UNITS, step=1, key=lab.width_key(k))
    st.selectbox(
        "Activation g (hidden layers)",
        list(ACTIVATIONS),
        key="activation",
        help="The output layer is always a sigmoid.",
    )
    choice("Epochs", "epochs", lab.EPOCH_CHOICES, lambda v: f"{v:,}")
    choice(
        "Mini-batch size", "batch_size", lab.BATCH_CHOICES, lab.fmt_batch, help="full = all points"
    )
    st.toggle(
        "Shuffle the mini-batches every epoch",
        key="shuffle",
        disabled=int(st.session_state.get("batch_size", 0)) == 0,
        help="Off: the same batches in the same order every epoch, as "
        "MLPClassifier(shuffle=False). "
        "A full batch is never shuffled.",
    )


def run_summary(i: int) -> str:
    """Run i's settings besides α and λ, in a few words: the label of its popover."""
    ss = st.session_state

    def get(name: str, default: Any) -> Any:
        value = ss.get(lab.run_key(i, name))
        return default if value is None else value

    optimizer, init = get("optimizer", "gd"), get("init", "he")
    text = f"{OPTIMIZERS[optimizer].title} · {init} init"
    if float(get("keep_prob", 1.0)) < 1:
        text += f" · keep_prob {lab.fmt(get('keep_prob', 1.0))}"
    if int(get("patience", 0)):
        text += f" · early stop {get('patience', 0)}"
    if get("decay", "constant") != "constant":
        text += f" · {SCHEDULES[get('decay', 'constant')].title.lower()} decay"
    if get("batch_norm", False):
        text += " · batch norm"
    return text


def run_controls(i: int, n_runs: int) -> None:
    """α, λ and λ₁ in view; the optimizer, the initialization, dropout, decay and β₁, β₂, ε in a
    popover named by them (a closed popover's widgets are not drawn in the browser until it
    opens, which keeps opening the lab fast)."""

    def key(name: str) -> str:
        return lab.run_key(i, name)

    box = st.container(border=True)
    box.markdown(f"{RUN_DOTS[i % len(RUN_DOTS)]} **Run {i + 1}**")
    with box:
        choice(LABELS["lr"], key("lr"), lab.LR_CHOICES)
        choice(LABELS["lambd"], key("lambd"), lab.LAMBDA_CHOICES)
        choice(LABELS["lambd1"], key("lambd1"), lab.LAMBDA1_CHOICES)
        with st.popover(run_summary(i), icon=":material/tune:", width="stretch"):
            run_details(i, n_runs, key)


def run_details(i: int, n_runs: int, key: Callable[[str], str]) -> None:
    pick, init = st.columns(2)
    optimizer = pick.selectbox(
        "Optimizer",
        list(OPTIMIZERS),
        key=key("optimizer"),
        format_func=lambda o: OPTIMIZERS[o].title,
    )
    init.selectbox("Initialization", list(INITS), key=key("init"), format_func=INIT_NAMES.get)
    choice(
        LABELS["keep_prob"],
        key("keep_prob"),
        lab.KEEP_CHOICES,
        help="Probability of keeping a hidden unit in each training step; 1 = no dropout.",
    )
    choice(
        LABELS["patience"],
        key("patience"),
        lab.PATIENCE_CHOICES,
        lambda v: "off" if v == 0 else f"{v:,} epochs",
        help="Stop when the test cost has not improved for this many epochs and keep the best "
        "epoch's weights. Needs a test set.",
    )
    decay_controls(key)
    batch_norm_controls(key)
    unused = lab.unused(optimizer)
    st.markdown("**β₁, β₂, ε**")
    for name, choices in (
        ("beta1", lab.BETA1_CHOICES),
        ("beta2", lab.BETA2_CHOICES),
        ("epsilon", lab.EPSILON_CHOICES),
    ):
        hint = f"Used by {lab.users_of(name)} only."
        choice(LABELS[name], key(name), choices, disabled=name in unused, help=hint)
    if unused:
        names = ", ".join(lab.SYMBOLS[n] for n in ("beta1", "beta2", "epsilon") if n in unused)
        st.caption(f"{OPTIMIZERS[optimizer].title} does not use {names}: disabled.")
    row = st.container(horizontal=True)
    row.button(
        "Duplicate",
        key=f"duplicate_{i}",
        icon=":material/content_copy:",
        help=f"Add a copy of run {i + 1}",
        on_click=restructure,
        args=(lab.duplicate_run, i),
        disabled=n_runs >= lab.MAX_RUNS,
    )
    row.button(
        "Remove",
        key=f"remove_{i}",
        icon=":material/delete:",
        help=f"Remove run {i + 1}",
        on_click=restructure,
        args=(lab.remove_run, i),
        disabled=n_runs <= 1,
    )


def batch_norm_controls(key: Callable[[str], str]) -> None:
    """Batch norm on or off for this run, its ρ and ε_bn (disabled, never left out, when off)."""
    on = st.checkbox(
        "Batch norm",
        key=key("batch_norm"),
        help="Normalize each hidden layer's Z over the mini-batch, then γ Z_norm + β, before g "
        "(b is dropped). Evaluation uses the running μ, σ².",
    )
    rho, eps = st.columns(2)
    with rho:
        choice(
            LABELS["bn_momentum"], key("bn_momentum"), lab.BN_MOMENTUM_CHOICES,
            disabled=not on, help=BN_CONVENTION,
        )  # fmt: skip
    with eps:
        choice(
            LABELS["bn_epsilon"], key("bn_epsilon"), lab.BN_EPSILON_CHOICES,
            disabled=not on, help=BN_CONVENTION,
        )  # fmt: skip


def decay_controls(key: Callable[[str], str]) -> None:
    """α's schedule: its formula under it, the unused settings disabled (never left out: a
    widget left out of a run would lose its value)."""
    decay = st.selectbox(
        "α decay (schedule)",
        list(SCHEDULES),
        key=key("decay"),
        format_func=lambda n: SCHEDULES[n].title,
    )
    schedule = SCHEDULES[decay]
    rate, every = st.columns(2)
    with rate:
        choice(
            "decay_rate",
            key("decay_rate"),
            DECAY_RATES,
            disabled="decay_rate" not in schedule.uses,
        )
    with every:
        choice(
            "time_interval",
            key("decay_interval"),
            DECAY_INTERVALS,
            lambda v: f"{v:,}",
            disabled="decay_interval" not in schedule.uses,
            help="Epochs between two steps down (scheduled decay only).",
        )
    st.caption(f"{schedule.text} — {schedule.describe}")


def runs_controls(exp: Experiment) -> None:
    n = len(exp.runs)
    title, add = st.columns(2, vertical_alignment="bottom")
    title.subheader("Runs")
    add.button(
        "Add run",
        key="add_run",
        icon=":material/add:",
        on_click=restructure,
        args=(lab.add_run,),
        disabled=n >= lab.MAX_RUNS,
        width="stretch",
    )
    for i in range(n):
        run_controls(i, n)


def sidebar(exp: Experiment) -> None:
    with st.sidebar:
        runs_controls(exp)
        st.subheader("Data and network")
        with st.popover(data_summary(), icon=":material/scatter_plot:", width="stretch"):
            data_controls()
        with st.popover(network_summary(), icon=":material/hub:", width="stretch"):
            network_controls(exp)
