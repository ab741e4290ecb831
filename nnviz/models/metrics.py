"""The lab's verdict on each run: the final-numbers table, and the alarm for a run whose cost
diverged or exploded (a warning by the status line, and the table's stability column)."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nnviz.engine.train import History

EXPLODED = 10.0  # a cost this many times its value at epoch 0 is flagged: training blew up


def cost_alarm(h: History) -> str | None:
    """Why this run's costs are not to be trusted, in a few words, or None.

    Diverged (a cost or a weight stopped being finite), or exploded: the training or the test
    cost rose above EXPLODED × its value at epoch 0 (e.g. RMSprop with α = 1 reaches 1e5).
    """
    if h.diverged_at is not None:
        return f"diverged at epoch {h.diverged_at}"
    for name, cost in (("J", h.train_cost), ("test cost", h.test_cost)):
        if len(cost) > 1 and np.max(cost[1:]) > EXPLODED * cost[0]:
            k = 1 + int(np.argmax(cost[1:]))
            return f"exploded: {name} {cost[k]:.3g} at epoch {int(h.epochs[k])}"
    return None


def cost_alarms(histories: Sequence[History], labels: Sequence[str]) -> list[str]:
    """One line per run whose costs diverged or exploded, for a warning above the charts."""
    lines = []
    for i, (h, label) in enumerate(zip(histories, labels)):
        alarm = cost_alarm(h)
        if alarm:
            start = f" (it started at {h.train_cost[0]:.3g})" if "exploded" in alarm else ""
            name = f"Run {i + 1}" if label == f"run {i + 1}" else f"Run {i + 1} ({label})"
            lines.append(f"{name} {alarm}{start}; try a smaller α.")
    return lines


def early_words(h: History) -> str | None:
    """Early stopping's outcome in a few words, or None when the run does not stop early."""
    if h.config.patience == 0:
        return None
    if h.best_epoch is None:
        return "off: needs a test set"
    if h.stopped_at is None:
        return f"ran all epochs, best at {h.best_epoch}"
    return f"stopped early at {h.stopped_at}, best at {h.best_epoch}"


def metrics_rows(histories: Sequence[History], labels: Sequence[str]) -> list[dict[str, Any]]:
    """One row per run: the final numbers of the metrics table (the best epoch's with early
    stopping, whose weights the run keeps)."""
    early = any(h.config.patience for h in histories)
    return [
        {
            "run": label,
            "train J": h.final["train_cost"],
            "test cost": h.final["test_cost"],
            "train accuracy": h.final["train_accuracy"],
            "test accuracy": h.final["test_accuracy"],
            "Σ‖W‖²": h.weight_norm,
            "stability": cost_alarm(h),
            **({"early stopping": early_words(h)} if early else {}),
            "time (s)": h.seconds,
            **by_class(h),
        }
        for h, label in zip(histories, labels)
    ]


def by_class(h: History) -> dict[str, list[float]]:
    """K ≥ 3: each class's final train accuracy (the share of its points predicted as it)."""
    if not h.train_class_accuracy.size:
        return {}
    return {"train accuracy by class": h.train_class_accuracy[-1].tolist()}


def format_metrics(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The metrics rows as text for a table: costs to 4 decimals, accuracies in percent."""

    def number(v: float | None, spec: str) -> str:
        if v is None or not math.isfinite(v):
            return "—"
        return format(v, spec) if abs(v) < 1e5 else f"{v:.3g}"  # a diverged run's huge J

    return [
        {
            "run": row["run"],
            "train J": number(row["train J"], ".4f"),
            "test cost": number(row["test cost"], ".4f"),
            "train accuracy": number(row["train accuracy"], ".1%"),
            "test accuracy": number(row["test accuracy"], ".1%"),
            "Σ‖W‖²": number(row["Σ‖W‖²"], ".1f"),
            "stability": row["stability"] or "ok",
            **({"early stopping": row["early stopping"] or "—"} if "early stopping" in row else {}),
            "time (s)": number(row["time (s)"], ".3f"),
            **{
                name: " · ".join(f"{k}: {number(v, '.0%')}" for k, v in enumerate(row[name]))
                for name in ("train accuracy by class",)
                if name in row
            },
        }
        for row in rows
    ]


def html_table(rows: Sequence[Mapping[str, str]]) -> str:
    """The rows as an HTML table, every cell's text escaped, so it is shown as it is (no markup).

    The lab shows its final numbers this way (with ``st.html``) rather than with ``st.table`` or
    a Markdown table: the first ``st.table`` on a page loads and compiles about 1 MB of
    JavaScript (Apache Arrow), and a Markdown table is parsed in the browser by the Markdown
    pipeline; HTML is only sanitized and inserted, which makes opening the lab about 3% faster.
    """
    columns = list(rows[0]) if rows else []

    def tr(cells: Sequence[object], tag: str) -> str:
        return "<tr>" + "".join(f"<{tag}>{html.escape(str(c))}</{tag}>" for c in cells) + "</tr>"

    head = tr(columns, "th")
    body = "".join(tr([row[c] for c in columns], "td") for row in rows)
    return f'<table class="nnviz-table"><thead>{head}</thead><tbody>{body}</tbody></table>'
