"""Training histories compared field by field."""

from __future__ import annotations

import numpy as np

from nnviz.engine.history import History

# the recorded curves, then θ; each one value per logged epoch
FIELDS = ("epochs", "train_cost", "test_cost", "train_accuracy", "test_accuracy", "theta")


def assert_same_history(a: History, b: History) -> None:
    """Exactly equal: every curve, the divergence epoch and the weight snapshots."""
    for name in FIELDS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    for name in ("train_class_accuracy", "test_class_accuracy"):  # K ≥ 3; NaN: a class unseen
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
    assert a.diverged_at == b.diverged_at
    assert np.array_equal(a.snapshot_epochs, b.snapshot_epochs)
    assert np.array_equal(a.snapshots, b.snapshots)
