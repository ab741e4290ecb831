"""scikit-learn's MLPClassifier as the oracle: started from given weights, with our optimizers'
hyperparameters mapped onto its own (tests/test_sklearn_reference.py's docstring says how)."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from nnviz.engine.network import Layout

BETA1, BETA2, EPS = 0.9, 0.999, 1e-12


class StartFrom(MLPClassifier):
    """MLPClassifier that starts from given course-shaped (W, b) layers instead of its own init."""

    def _init_coef(self, fan_in, fan_out, dtype):
        W, b = self.start.pop(0)
        assert W.shape == (fan_out, fan_in)
        return W.T.astype(dtype), b.ravel().astype(dtype)


def sklearn_for(optimizer: str, lr: float, eps: float) -> dict:
    if optimizer == "gd":
        return dict(solver="sgd", momentum=0.0, learning_rate_init=lr)
    if optimizer == "momentum":
        lr_sk = lr * (1 - BETA1)
        return dict(
            solver="sgd", momentum=BETA1, nesterovs_momentum=False, learning_rate_init=lr_sk
        )
    return dict(solver="adam", beta_1=BETA1, beta_2=BETA2, epsilon=eps, learning_rate_init=lr)


def fit_from(
    layout: Layout, theta0: np.ndarray, X: np.ndarray, y: np.ndarray, **params
) -> tuple[MLPClassifier, np.ndarray]:
    """MLPClassifier fitted on X (m, n), y from θ₀, unshuffled, for exactly max_iter epochs
    (``params``: its hyperparameters); it, and its final weights in ``layout``'s order."""
    clf = StartFrom(shuffle=False, tol=0.0, n_iter_no_change=np.inf, **params)
    clf.start = layout.to_list(theta0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    return clf, layout.from_list([(W.T, b[:, None]) for W, b in zip(clf.coefs_, clf.intercepts_)])
