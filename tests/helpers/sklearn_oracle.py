"""scikit-learn's MLPClassifier as the oracle: started from given weights, with our optimizers'
hyperparameters mapped onto its own (tests/test_sklearn_reference.py's docstring says how)."""

from sklearn.neural_network import MLPClassifier

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
