"""Random search on a scale, and coarse to fine (the course's week 3; docs/design.md §7).

    from nnviz.engine.search import RandomSearch, parse_range
    search = RandomSearch(Experiment(), (parse_range("lr=1e-4:1:log"),
                                         parse_range("beta1=0.9:0.999:1-log")), n=9, seed=0)
    result = run_sweep(search)                   # 9 runs in lockstep, like a grid's
    finer = search.zoomed(((1e-3, 1e-2), (0.9, 0.99)))   # 9 more inside that box: round 1

Each setting is sampled uniformly on its scale: r uniform in [a, b], then

    lin      x = r                    (λ, keep_prob, ...)
    log      x = 10^r                 α in 1e-4…1: as many runs in each decade
    1-log    x = 1 − 10^r             β in 0.9…0.999: as many in 0.9…0.99 as in 0.99…0.999

The draws come from a numpy Generator of their own, ``default_rng([seed, round])``: the sample
seed picks the settings, the experiment's seed the data and the weights, and a new round never
moves the runs of an earlier one. A search has the methods ``iter_sweep`` reads (``base``,
``runs``, ``cells``, ``settings``), so its runs train in lockstep groups exactly as a grid's do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from nnviz.engine.config import DataConfig, Experiment, RunConfig
from nnviz.engine.sweep import MAX_RUNS, SWEEPABLE, _check, _check_field, _shown

SCALES = ("lin", "log", "1-log")
MAX_RANGES = 4  # settings sampled at once


def to_exponent(scale: str, x: float) -> float:
    """The coordinate r in which ``scale`` samples uniformly: x, log10 x or log10(1 − x)."""
    if scale == "log":
        return math.log10(x)
    return math.log10(1 - x) if scale == "1-log" else x


def from_exponent(scale: str, r: np.ndarray) -> np.ndarray:
    """x from r: r, 10^r or 1 − 10^r."""
    if scale == "log":
        return 10.0**r
    return 1 - 10.0**r if scale == "1-log" else r


@dataclass(frozen=True)
class Range:
    """One sampled setting: a float RunConfig field, its bounds (both valid) and its scale."""

    field: str
    low: float
    high: float
    scale: str = "lin"

    def __post_init__(self) -> None:
        name = _check_number(self.field)
        _check(self.scale in SCALES, f"{name}: a scale is {', '.join(SCALES)}, got {self.scale!r}")
        for x in (self.low, self.high):
            _check(math.isfinite(x), f"{name}: {x!r} is not finite")
            RunConfig(**{name: x})  # its ValueError names the field and the value
        _check(self.low < self.high, f"{name}: low must be below high, got {self.text()}")
        _check(
            self.scale != "log" or self.low > 0,
            f"{name}: a log range needs low > 0, got {self.text()}",
        )
        _check(
            self.scale != "1-log" or self.high < 1,
            f"{name}: a 1-log range needs high < 1, got {self.text()}",
        )

    def text(self) -> str:
        """``"lr=0.0001:1:log"``: what parse_range reads back."""
        return f"{self.field}={_shown(self.low)}:{_shown(self.high)}:{self.scale}"

    def exponents(self) -> tuple[float, float]:
        """[a, b]: the interval r is drawn from (for 1-log the larger x gives the smaller r)."""
        ends = sorted(to_exponent(self.scale, x) for x in (self.low, self.high))
        return ends[0], ends[1]

    def within(self, low: float, high: float) -> Range:
        """The same setting on the same scale over [low, high], which must lie inside this one."""
        inner = replace(self, low=float(low), high=float(high))
        _check(
            self.low <= inner.low and inner.high <= self.high,
            f"{self.field}: the box {_shown(inner.low)}…{_shown(inner.high)} is not inside "
            f"{_shown(self.low)}…{_shown(self.high)}",
        )
        return inner


def parse_range(text: str) -> Range:
    """``"lr=1e-4:1:log"``, ``"beta1=0.9:0.999:1-log"`` or ``"lambd=0:1"`` (lin) -> Range.
    Bad input raises a one-line ValueError naming the problem."""
    name, sep, spec = (part.strip() for part in text.partition("="))
    form = "FIELD=LOW:HIGH[:lin|log|1-log] (e.g. lr=1e-4:1:log)"
    _check(bool(sep and name and spec), f"write a sampled setting as {form}, got {text!r}")
    name = _check_number(name.replace("-", "_"))
    parts = [p.strip() for p in spec.split(":")]
    _check(len(parts) in (2, 3), f"{name}: a sampled range is LOW:HIGH[:scale], got {spec!r}")
    low, high = (_number(name, p) for p in parts[:2])
    return Range(name, low, high, parts[2] if len(parts) == 3 else "lin")


def _check_number(name: str) -> str:
    _check(
        SWEEPABLE[_check_field(name)] is float,
        f"{name} is not a number to sample: vary it on a grid",
    )
    return name


def _number(name: str, item: str) -> float:
    try:
        return float(item)
    except ValueError:
        raise ValueError(f"{name}: {item!r} is not a number") from None


def sample(ranges: tuple[Range, ...], n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, len(ranges)) settings: column k is ranges[k] drawn uniformly on its scale."""
    a, b = np.array([r.exponents() for r in ranges]).T
    exponents = a + (b - a) * rng.random((n, len(ranges)))
    columns = [from_exponent(r.scale, exponents[:, k]) for k, r in enumerate(ranges)]
    # clipped: 10**log10(x) may land one ulp outside [low, high]
    return np.column_stack([np.clip(c, r.low, r.high) for c, r in zip(columns, ranges)]).reshape(
        n, len(ranges)
    )


def round_rng(seed: int, round_: int) -> np.random.Generator:
    """The Generator of one round: its own stream, whatever the other rounds and the training."""
    return np.random.default_rng([seed, round_])


@dataclass(frozen=True)
class RandomSearch:
    """n runs per round: round 0 samples ``ranges``, round k ≥ 1 samples ``boxes[k-1]`` (a
    (low, high) per range, inside it, on the same scale): coarse to fine.

    A run's cell is (round, k), k its place in the round; run order is round by round.
    """

    base: Experiment
    ranges: tuple[Range, ...]
    n: int
    seed: int = 0
    boxes: tuple[tuple[tuple[float, float], ...], ...] = ()
    max_runs: int = MAX_RUNS

    def __post_init__(self) -> None:
        object.__setattr__(self, "ranges", tuple(self.ranges))
        object.__setattr__(self, "boxes", tuple(tuple(map(tuple, b)) for b in self.boxes))
        k = len(self.ranges)
        _check(1 <= k <= MAX_RANGES, f"a random search samples 1 to {MAX_RANGES} settings, got {k}")
        names = [r.field for r in self.ranges]
        _check(len(set(names)) == len(names), f"{names[0]} is sampled twice")
        whole = isinstance(self.n, int) and not isinstance(self.n, bool)
        _check(whole and self.n >= 1, f"a random search needs n >= 1 runs, got {self.n!r}")
        _check(isinstance(self.seed, int) and self.seed >= 0, f"seed must be >= 0: {self.seed!r}")
        total = self.n * self.rounds
        _check(total <= self.max_runs, f"a search trains at most {self.max_runs} runs, got {total}")
        for box in self.boxes:
            _check(len(box) == k, f"a zoom box gives a (low, high) for each of the {k} settings")
        self.round_ranges(self.rounds - 1)  # every box inside the ranges, or ValueError
        self.runs()  # every sampled run is a valid RunConfig, or ValueError

    @property
    def rounds(self) -> int:
        return 1 + len(self.boxes)

    @property
    def template(self) -> RunConfig:
        return self.base.runs[0]

    @property
    def shape(self) -> tuple[int]:
        return (self.n * self.rounds,)

    def round_ranges(self, round_: int) -> tuple[Range, ...]:
        """What round ``round_`` samples: the ranges (round 0) or its zoom box."""
        if round_ == 0:
            return self.ranges
        box = self.boxes[round_ - 1]
        return tuple(r.within(low, high) for r, (low, high) in zip(self.ranges, box))

    def values(self, round_: int) -> np.ndarray:
        """(n, len(ranges)): the sampled settings of one round's runs."""
        return sample(self.round_ranges(round_), self.n, round_rng(self.seed, round_))

    def zoomed(self, box) -> RandomSearch:
        """The search with one more round, n runs inside ``box``."""
        return replace(self, boxes=(*self.boxes, tuple(map(tuple, box))))

    def cells(self) -> list[tuple[int, int]]:
        return [(r, k) for r in range(self.rounds) for k in range(self.n)]

    def settings(self, cell: tuple[int, int]) -> dict[str, Any]:
        """The run's round and its sampled values, e.g. {"round": 0, "lr": 0.0031, ...}."""
        row = self.values(cell[0])[cell[1]]
        return {"round": cell[0], **{r.field: float(x) for r, x in zip(self.ranges, row)}}

    def runs(self) -> tuple[RunConfig, ...]:
        """Every run: the template with the sampled values, round by round."""
        runs = []
        for round_ in range(self.rounds):
            for row in self.values(round_):
                sampled = {r.field: float(x) for r, x in zip(self.ranges, row)}
                runs.append(replace(self.template, **sampled))
        return tuple(runs)

    def experiment_at(self, index: int) -> Experiment:
        """Run ``index`` as an experiment of its own: what the lab trains, with the same numbers."""
        return self.base.with_runs(self.runs()[index])

    def part(self, round_: int) -> Round:
        """One round's runs alone, keyed only by what they depend on (for a store of results)."""
        return Round(replace(self, boxes=self.boxes[:round_]), round_)


@dataclass(frozen=True)
class Round:
    """The runs of one round of a search, as ``iter_sweep`` trains them (cells as the search's)."""

    search: RandomSearch
    round: int

    @property
    def base(self) -> Experiment:
        return self.search.base

    def cells(self) -> list[tuple[int, int]]:
        return [(self.round, k) for k in range(self.search.n)]

    def settings(self, cell: tuple[int, int]) -> dict[str, Any]:
        return self.search.settings(cell)

    def runs(self) -> tuple[RunConfig, ...]:
        n = self.search.n
        return self.search.runs()[self.round * n : (self.round + 1) * n]


# --- the lesson "Grid or random" (docs/design.md §3) ----------------------------------------------

# Gradient descent on moons: α decides everything (too small barely moves in 300 epochs, above
# about 4 it diverges), λ up to 0.01 barely changes the cost. Nine runs either way.
GRID_OR_RANDOM = Experiment(
    data=DataConfig("moons", samples=200, noise=0.25, test_fraction=0.25),
    runs=(RunConfig(hidden=(5, 2), optimizer="gd", epochs=300, batch_size=0),),
    seed=5,
)
GRID_OR_RANDOM_RANGES = ("lr=1e-3:10:log", "lambd=0:0.01")
GRID_OR_RANDOM_AXES = ("lr=1e-3:10:3:log", "lambd=0:0.01:3")  # the 3 × 3 grid over the same box


def grid_or_random_search(seed: int, n: int = 9) -> RandomSearch:
    """The lesson's random search: n runs over the grid's box, from sample seed ``seed``."""
    return RandomSearch(GRID_OR_RANDOM, tuple(map(parse_range, GRID_OR_RANDOM_RANGES)), n, seed)
