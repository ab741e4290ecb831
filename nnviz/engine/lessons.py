"""The lessons of docs/design.md §3, as ready-made experiments.

Each lesson is a set of runs that differ in exactly the setting the lesson is about, with a short
text of what to look for. The app loads them with one click; tests assert that each one teaches
its point (tests/test_lessons.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from nnviz.engine.config import DataConfig, Experiment, RunConfig


@dataclass(frozen=True)
class Lesson:
    key: str
    title: str
    experiment: Experiment
    labels: tuple[str, ...]  # one short name per run, in run order
    explain: str  # markdown: what to look for
    week: int = 1  # the course's week it belongs to (1: setup, 2: optimization, 3: tuning,
    # batch norm, softmax); 0: the Playground's model beyond the course (input features, L1)


WEEKS = {1: "Week 1", 2: "2", 3: "3", 0: "Playground"}


_INIT_NET = dict(hidden=(10, 5), activation="relu", optimizer="gd", lr=0.01, batch_size=0)

INITIALIZATION = Lesson(
    key="initialization",
    title="Initialization: zeros vs large random vs He",
    experiment=Experiment(
        # exactly the course's make_circles(300, noise .05, random_state 1) / (100, ..., 2)
        data=DataConfig("circles", samples=400, noise=0.05, test_fraction=0.25),
        runs=tuple(
            RunConfig(init=i, epochs=15_000, **_INIT_NET) for i in ("zeros", "random", "he")
        ),
        seed=1,
    ),
    labels=("zeros", "random ×10", "He"),
    explain=(
        "**Zeros** never breaks symmetry: every unit of a layer computes the same thing, the cost "
        "stays at ln 2 ≈ 0.693 and the boundary is flat (50%). **Large random** (×10) starts with "
        "a huge cost, because confident wrong predictions cost a lot, and learns slowly. **He** "
        "(×√(2/n[l−1])) keeps the signal's scale through the ReLU layers and learns fastest."
    ),
)

_DEEP_NET = dict(
    hidden=(16,) * 5, activation="tanh", optimizer="gd", lr=0.3, batch_size=0, epochs=1000
)

DEEP_INITIALIZATION = Lesson(
    key="deep_initialization",
    title="Deep initialization: zeros vs too small vs Xavier vs too large",
    experiment=Experiment(
        # the Initialization lesson's circles, through a deeper tanh network (after the
        # deeplearning.ai AI Notes on initialization): five hidden layers of 16 units
        data=DataConfig("circles", samples=400, noise=0.05, test_fraction=0.25),
        runs=tuple(RunConfig(init=i, **_DEEP_NET) for i in ("zeros", "small", "xavier", "random")),
        seed=1,
    ),
    labels=("zeros", "small ×0.01", "Xavier", "large ×10"),
    explain=(
        "Five tanh layers of 16 units; open **Inside the network** and look layer by layer. "
        "**Zeros**: every unit of a layer computes the same thing (here 0), gets the same "
        "gradient, and stays a copy of the others — the cost never leaves ln 2. **Too small** "
        "(×0.01): each layer multiplies the signal by about 0.01·√16, so the activations shrink "
        "towards 0 layer by layer, and so do the gradients — nothing learns. **Xavier** "
        "(×√(1/n[l−1])) keeps the spread of the activations from layer to layer and learns the "
        "circles. **Too large** (×10): nearly every unit is saturated at ±1, where tanh is flat, "
        "so its gradient vanishes too."
    ),
)

# exactly the course's make_moons(300, noise .2, random_state 3) (with seed 3), training set only
_COURSE_MOONS = DataConfig("moons", samples=300, noise=0.2, test_fraction=0.0)

OPTIMIZATION = Lesson(
    week=2,
    key="optimization",
    title="Optimization: gradient descent vs momentum vs Adam",
    experiment=Experiment(
        data=_COURSE_MOONS,
        runs=tuple(
            RunConfig(
                hidden=(5, 2),
                init="he",
                optimizer=o,
                lr=0.0007,
                beta1=0.9,
                beta2=0.999,
                epsilon=1e-8,
                batch_size=64,
                epochs=10_000,
            )
            for o in ("gd", "momentum", "adam")
        ),
        seed=3,
    ),
    labels=("GD", "momentum", "Adam"),
    explain=(
        "With the same small α = 0.0007, **gradient descent** and **momentum** crawl: after "
        "10,000 epochs their boundaries are still nearly straight. Momentum (β₁ = 0.9) barely "
        "helps on this problem. **Adam** rescales every weight's step by its own gradient "
        "history (β₂) and reaches a curved boundary with a much lower cost."
    ),
)

_REG_NET = dict(
    hidden=(20, 3),
    activation="relu",
    init="xavier",
    optimizer="gd",
    lr=0.3,
    batch_size=0,
    epochs=8000,  # the course trains 30,000; 8,000 show the same pattern in a quarter of the time
)

REGULARIZATION = Lesson(
    key="regularization",
    title="Regularization: none vs L2 vs dropout",
    experiment=Experiment(
        # The course's small data set is not shipped. 150 moons with 6% of their labels wrong are
        # few enough for a [20, 3] network to bend around the wrong ones; 150 test points from the
        # same distribution (drawn hollow, so the training points stay visible) show what it
        # really learned. Expected effect over many data draws, and this seed: tests/test_lessons.
        data=DataConfig("mislabeled", samples=300, noise=0.15, test_fraction=0.5),
        runs=(
            RunConfig(**_REG_NET),
            RunConfig(lambd=0.7, **_REG_NET),
            RunConfig(keep_prob=0.86, **_REG_NET),
        ),
        seed=8,
    ),
    labels=("none", "L2 λ = 0.7", "dropout keep 0.86"),
    explain=(
        "Some labels are wrong, as in real data: a few points sit deep in the other class. "
        "Without regularization the network **overfits**: it bends its boundary around them, so "
        "it scores higher on the training set than on the test set. **L2** (λ = 0.7) adds "
        "λ/(2m)·Σ‖W‖² to the cost, which keeps the weights small and the boundary smooth. "
        "**Dropout** (keep_prob 0.86) switches off random hidden units at every step, so no unit "
        "can rely on a few others. Both give up a little training accuracy for a higher test "
        "accuracy."
    ),
)

EARLY_STOPPING = Lesson(
    key="early_stopping",
    title="Early stopping: beside L2 and dropout",
    experiment=Experiment(
        data=REGULARIZATION.experiment.data,
        runs=(
            RunConfig(**_REG_NET),
            RunConfig(patience=200, **_REG_NET),
            RunConfig(lambd=0.7, **_REG_NET),
            RunConfig(keep_prob=0.86, **_REG_NET),
        ),
        seed=REGULARIZATION.experiment.seed,
    ),
    labels=("none", "early stop, patience 200", "L2 λ = 0.7", "dropout keep 0.86"),
    explain=(
        "The regularization lesson's data and network, with a third way to stop overfitting. "
        "Without regularization the test cost (dashed) falls, then **climbs** while the training "
        "cost keeps falling: the network starts learning the wrong labels. **Early stopping** "
        "watches the test cost and stops when it has not improved for 200 epochs, keeping the "
        "weights of its best epoch (●; | marks the stop): it is the unregularized run, cut off "
        "before it overfits — and it trains a fraction of the epochs. L2 and dropout change what "
        "is learned instead; all three end with a higher test accuracy than none."
    ),
)

_DECAY_NET = dict(hidden=(5, 2), activation="relu", init="he", batch_size=64, epochs=5000)
_SCHEDULED = dict(decay="scheduled", decay_rate=1.0, decay_interval=1000)

DECAY = Lesson(
    week=2,
    key="decay",
    title="Learning-rate decay: a small constant α vs a large α that steps down",
    experiment=Experiment(
        data=_COURSE_MOONS,  # the 2021 notebook's moons, as in the optimization lesson
        runs=(
            RunConfig(optimizer="gd", lr=0.0007, **_DECAY_NET),
            RunConfig(optimizer="gd", lr=0.1, **_SCHEDULED, **_DECAY_NET),
            RunConfig(optimizer="momentum", lr=0.1, **_SCHEDULED, **_DECAY_NET),
            RunConfig(optimizer="adam", lr=0.01, **_SCHEDULED, **_DECAY_NET),
        ),
        seed=3,
    ),
    labels=("GD α 0.0007", "GD α₀ 0.1, decay", "momentum α₀ 0.1, decay", "Adam α₀ 0.01, decay"),
    explain=(
        "A small constant α (0.0007) is safe but slow: after 5,000 epochs **GD** still draws a "
        "nearly straight boundary. **Scheduled decay** starts about 140 times larger and steps "
        "down every 1,000 epochs, α = α₀ / (1 + decay_rate · ⌊epoch / 1000⌋): big steps first, "
        "finer ones later. Then plain GD and **momentum** find the curved boundary as well as "
        "**Adam** does. Try *inverse* decay (α₀ / (1 + decay_rate · epoch)) for GD: α shrinks "
        "after every epoch, is soon tiny and the cost stalls."
    ),
)

# five ReLU layers of 16 units, plain gradient descent on mini-batches: deep enough that a poor
# start or a large step breaks it; the tests/test_batchnorm_lesson.py pattern holds over seeds
_BN_NET = dict(
    hidden=(16,) * 5, activation="relu", optimizer="gd", batch_size=64, epochs=300
)  # fmt: skip
_POOR_START = dict(init="small", lr=0.1)  # W × 0.01: the signal shrinks layer by layer
_LARGE_STEP = dict(init="he", lr=2.0)  # the course's He init, with a step 20 times too large

BATCH_NORM = Lesson(
    key="batch_norm",
    title="Batch normalization: a poor start or a large α, with and without BN",
    experiment=Experiment(
        data=DataConfig("circles", samples=400, noise=0.05, test_fraction=0.25),
        runs=tuple(
            RunConfig(batch_norm=bn, **setting, **_BN_NET)
            for setting in (_POOR_START, _LARGE_STEP)
            for bn in (False, True)
        ),
        seed=1,
    ),
    labels=("×0.01 init", "×0.01 init + BN", "α 2", "α 2 + BN"),
    week=3,  # the course's week 3: batch normalization
    explain=(
        "Five ReLU layers, gradient descent on mini-batches of 64. With weights **×0.01** each "
        "layer shrinks the signal, the last layers see almost nothing and the cost stays at "
        "ln 2. With **α = 2** the first steps throw the units where ReLU is 0 and nothing "
        "recovers. **Batch norm** rescales every hidden layer's Z to mean 0, variance 1 over the "
        "mini-batch, then learns its own scale γ and shift β: the layer's output no longer "
        "depends on how large W is, so both runs train. Evaluation uses the running μ and σ² "
        "(ρ = 0.1 of each new batch). The sweep maps' *α × batch norm* preset shows the range of "
        "α that works, with and without."
    ),
)

_FEATURE_NET = dict(activation="relu", init="he", optimizer="adam", lr=0.03, batch_size=0)

FEATURES_OR_DEPTH = Lesson(
    week=0,  # the Playground's model, beyond the course
    key="features_or_depth",
    title="Features or depth: x₁², x₂² with no hidden layer vs hidden units",
    experiment=Experiment(
        # the Initialization lesson's circles (the course's make_circles): a ring around a disc
        data=DataConfig("circles", samples=400, noise=0.05, test_fraction=0.25),
        runs=(
            RunConfig(hidden=(), epochs=2000, **_FEATURE_NET),
            RunConfig(hidden=(), features=("x1^2", "x2^2"), epochs=2000, **_FEATURE_NET),
            RunConfig(hidden=(8,), epochs=2000, **_FEATURE_NET),
        ),
        seed=1,
    ),
    labels=("x₁, x₂ · no hidden layer", "x₁², x₂² · no hidden layer", "x₁, x₂ · 8 hidden units"),
    explain=(
        "One ring of points around another. With the inputs **x₁, x₂** and no hidden layer the "
        "network is logistic regression: its boundary is a straight line, and no line separates "
        "a ring from a disc — it stays at chance. Give it **x₁², x₂²** instead and the same "
        "network solves it: w₁x₁² + w₂x₂² + b = 0 is a straight line in the features it sees, "
        "and a circle in the (x₁, x₂) plane it is drawn on. **Hidden units** learn such features "
        "themselves: 8 ReLU units on x₁, x₂ bend the boundary round the disc. Choosing good "
        "features by hand or letting depth find them — the network diagram in *Inside the "
        "network* labels each input."
    ),
)

# the Regularization lesson's network and plain gd (Adam's steps would jitter every weight around
# 0 by about α), with tanh: no dead ReLU units, whose weights L2 would also drive to 0
_SPARSE_NET = dict(_REG_NET, activation="tanh", epochs=4000)

L1_OR_L2 = Lesson(
    week=0,  # the Playground's model, beyond the course
    key="l1_or_l2",
    title="L1 or L2: many weights at zero, or all of them small",
    experiment=Experiment(
        # the Regularization lesson's data: 150 moons, some labels wrong, 150 test points
        data=DataConfig("mislabeled", samples=300, noise=0.15, test_fraction=0.5),
        runs=(
            RunConfig(**_SPARSE_NET),
            RunConfig(lambd=0.7, **_SPARSE_NET),
            RunConfig(lambd1=0.2, **_SPARSE_NET),
        ),
        seed=8,
    ),
    labels=("none", "L2 λ = 0.7", "L1 λ₁ = 0.2"),
    explain=(
        "Both penalties keep the boundary smoother than none and score about the same on the "
        "test set, but they leave very different weights: open **Inside the network** and read "
        "the weights chart under it. **L2** adds λ/(2m)·Σ‖W‖²: its pull (λ/m)·W is "
        "proportional to the weight, so every weight shrinks and none reaches 0. **L1** adds "
        "(λ₁/m)·Σ|W|: its pull (λ₁/m)·sign(W) is the same for a small weight as for a large "
        "one, so the weights the data does not need are pushed all the way to about 0 — a "
        "sparse network, most of its links gone."
    ),
)

# CS231n's "Putting it together" case study: 100 points per class of its 3-class spiral, full
# batch gradient descent with step 1, 0.01·N(0, 1) weights and reg 1e-3 on 0.5·reg·Σ‖W‖², which is
# our λ/(2m)·Σ‖W‖² with λ = 1e-3 · m = 0.3. CS231n trains the softmax 200 steps and the network
# 10,000; the lab shares the epochs, and 3,000 reach the same accuracies for both (tests).
_CS231N_NET = dict(
    activation="relu", init="small", optimizer="gd", lr=1.0, lambd=0.3, batch_size=0, epochs=3000
)

CLASSES = Lesson(
    key="classes",
    title="Classes: why depth matters",
    experiment=Experiment(
        data=DataConfig("spiral", samples=300, noise=0.2, test_fraction=0.0, classes=3),
        runs=(RunConfig(hidden=(), **_CS231N_NET), RunConfig(hidden=(100,), **_CS231N_NET)),
        seed=0,
    ),
    labels=("softmax regression", "100 relu units"),
    week=3,  # softmax is the course's week 3
    explain=(
        "Three spiral arms, one colour per class. The output layer has one unit per class and a "
        "**softmax** turns their scores into probabilities that sum to 1; the cost is "
        "−(1/m) Σ log ŷ of the true class, and the prediction the most probable class. With **no "
        "hidden layer** (softmax regression) each class owns a wedge cut by straight lines: about "
        "half the points end up right (CS231n: 49%). **One hidden layer of 100 relu units** bends "
        "the boundaries around the arms and gets nearly all of them (CS231n: 98%)."
    ),
)

LESSONS: dict[str, Lesson] = {
    lesson.key: lesson
    for lesson in (
        INITIALIZATION,
        DEEP_INITIALIZATION,
        REGULARIZATION,
        EARLY_STOPPING,
        OPTIMIZATION,
        DECAY,
        BATCH_NORM,
        CLASSES,
        FEATURES_OR_DEPTH,
        L1_OR_L2,
    )
}
