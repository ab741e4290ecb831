"""The formulas panel: the course's equations in symbols, then with a run's own numbers (LaTeX).

The optimizer update rules come from the registry (``optim.OPTIMIZERS[...].formula``), the
initializations and activations from theirs; this module only fills in a run's values.
"""

from __future__ import annotations

import math
from string import Template

from nnviz.engine.config import RunConfig
from nnviz.engine.features import FEATURES, PLANE
from nnviz.engine.network import ACTIVATIONS, INITS
from nnviz.engine.optim import OPTIMIZERS


def fmt(value: float) -> str:
    """A number as a person writes it: 0.01, 0.7, 1e-08 → 1e-8."""
    return f"{value:g}".replace("e-0", "e-").replace("e+0", "e")


def tex(value: float) -> str:
    """A number for LaTeX: 0.01, 0.7, 10^{-8}, 2 \\times 10^{-5}."""
    if value == 0 or 1e-3 <= abs(value) < 1e4:
        return f"{value:.4g}"
    exponent = math.floor(math.log10(abs(value)))
    mantissa = value / 10**exponent
    power = f"10^{{{exponent}}}"
    return power if math.isclose(mantissa, 1) else f"{mantissa:.3g} \\times {power}"


LABELS = {  # a hyperparameter's control, labelled alike on every page
    "lr": "α — learning rate",
    "lambd": "λ — L2 strength",
    "lambd1": "λ₁ — L1 strength",
    "beta1": "β₁ — momentum",
    "beta2": "β₂ — RMS decay",
    "epsilon": "ε — keeps √s + ε > 0",
    "keep_prob": "keep_prob — dropout",
    "patience": "patience — early stopping",
    "bn_momentum": "ρ — batch norm momentum",
    "bn_epsilon": "ε_bn — in √(σ² + ε_bn)",
}
# batch norm's conventions beside the two libraries' (docs/design.md §7), for the lab's help text
BN_CONVENTION = (
    "ρ is the new batch's weight: μ_run ← (1 − ρ) μ_run + ρ μ (PyTorch's convention and default "
    "0.1, ε_bn 1e-5; Keras's momentum 0.99 is ρ = 0.01 here, its ε 1e-3)."
)
INIT_NAMES = {  # the initialization choices, with their scale in words
    "zeros": "zeros — W = 0",
    "random": "random — N(0,1) × 10",
    "xavier": "Xavier — N(0,1) × √(1/n[l−1])",
    "he": "He — N(0,1) × √(2/n[l−1])",
    "small": "small — N(0,1) × 0.01",
}


def _numbers(run: RunConfig) -> tuple[tuple[str, str], ...]:
    """(symbol, the run's value) pairs; the (1 − β) factors first, so β is replaced inside them."""
    return (
        (r"(1 - \beta_1)", tex(round(1 - run.beta1, 12))),
        (r"(1 - \beta_2)", tex(round(1 - run.beta2, 12))),
        (r"\beta_1", tex(run.beta1)),
        (r"\beta_2", tex(run.beta2)),
        (r"\alpha", tex(run.lr)),
        (r"\varepsilon", tex(run.epsilon)),
    )


def update_rule(run: RunConfig, numbers: bool) -> list[str]:
    """The run's optimizer update as LaTeX lines, in symbols or with its values."""
    lines = list(OPTIMIZERS[run.optimizer].formula)
    if numbers:
        for symbol, value in _numbers(run):
            lines = [line.replace(symbol, value) for line in lines]
    return lines


COST = (  # two lines, so it fits a column at 1024 px
    r"\begin{aligned} J = &-\frac{1}{m} \sum_{i=1}^{m} \Big[ y^{(i)} \log a^{[L](i)}"
    r" + (1 - y^{(i)}) \log\big(1 - a^{[L](i)}\big) \Big] \\"
    r" &+ \frac{$lambd}{2 $m} \sum_{l} \lVert W^{[l]} \rVert_F^2$l1 \end{aligned}"
)
SOFTMAX_COST = (  # K ≥ 3 classes: Y one-hot (K, m), A[L] = softmax(Z[L]) (docs/design.md §7)
    r"\begin{aligned} J = &-\frac{1}{m} \sum_{i=1}^{m} \sum_{k=1}^{K} y_k^{(i)} \log a_k^{[L](i)}"
    r" \\ &+ \frac{$lambd}{2 $m} \sum_{l} \lVert W^{[l]} \rVert_F^2$l1 \end{aligned}"
)
SOFTMAX = (
    r"a_k^{[L]} = \frac{e^{z_k - \max_j z_j}}{\sum_{j=1}^{K} e^{z_j - \max_j z_j}}, \qquad"
    r" dZ^{[L]} = A^{[L]} - Y, \qquad \hat{y} = \arg\max_k a_k^{[L]}"
)
GRADIENT = (
    r"dW^{[l]} = \frac{1}{$m} \, dZ^{[l]} A^{[l-1]T} + \frac{$lambd}{$m} \, W^{[l]}$l1, \qquad"
    r" db^{[l]} = \frac{1}{$m} \sum dZ^{[l]}"
)
# L1 (docs/design.md §7), shown only for a run with λ₁ > 0: weights only, sign(0) = 0
COST_L1 = r" + \frac{$lambd1}{$m1} \sum_{l} \sum_{i,j} \lvert W^{[l]}_{ij} \rvert"
GRADIENT_L1 = r" + \frac{$lambd1}{$m1} \, \operatorname{sign}(W^{[l]})"


def cost_formulas(
    run: RunConfig, m: int, batch: int, classes: int = 2
) -> tuple[str, str, str, str]:
    """J and dW in symbols, then with λ (λ₁) and m (J: whole training set; dW: one mini-batch);
    J is the softmax cost for K = ``classes`` ≥ 3."""
    out = []
    for formula, extra, size in (
        (COST if classes == 2 else SOFTMAX_COST, COST_L1, f"\\cdot {m}"),
        (GRADIENT, GRADIENT_L1, str(batch)),
    ):
        l1 = extra if run.lambd1 else ""
        symbols = dict(lambd=r"\lambda", lambd1=r"\lambda_1", m="m", m1="m")
        numbers = dict(lambd=tex(run.lambd), lambd1=tex(run.lambd1), m=size, m1=size.split()[-1])
        for values in (symbols, numbers):
            out.append(Template(Template(formula).safe_substitute(l1=l1)).substitute(values))
    return out[0], out[1], out[2], out[3]


def init_scales(run: RunConfig) -> str:
    """The factor that multiplies N(0, 1) in each layer, e.g. W^{[1]}: ×1, W^{[2]}: ×0.316."""
    dims = run.layer_dims
    scales = [INITS[run.init].scale(n_prev) for n_prev in dims[:-1]]
    return r",\quad ".join(
        f"W^{{[{l}]}}: \\times {tex(float(s))}" for l, s in enumerate(scales, start=1)
    )


def activation_formula(run: RunConfig) -> str:
    return f"g(z) = {ACTIVATIONS[run.activation].formula}"


def dropout_formula(run: RunConfig) -> str | None:
    if run.keep_prob >= 1:
        return None
    return rf"A^{{[l]}} \leftarrow \frac{{A^{{[l]}} \odot D^{{[l]}}}}{{{tex(run.keep_prob)}}}"


BATCH_NORM = (
    r"\mu = \frac{1}{m} \sum_i Z^{[l](i)}, \quad"
    r" \sigma^2 = \frac{1}{m} \sum_i \big(Z^{[l](i)} - \mu\big)^2",
    r"Z^{[l]}_{norm} = \frac{Z^{[l]} - \mu}{\sqrt{\sigma^2 + $eps}}, \quad"
    r" \tilde Z^{[l]} = \gamma^{[l]} \odot Z^{[l]}_{norm} + \beta^{[l]}, \quad"
    r" A^{[l]} = g(\tilde Z^{[l]})",
    r"\mu_{run} \leftarrow (1 - $rho)\, \mu_{run} + $rho\, \mu, \quad"
    r" \sigma^2_{run} \leftarrow (1 - $rho)\, \sigma^2_{run} + $rho\, \sigma^2",
)


def batch_norm_formulas(run: RunConfig) -> list[str]:
    """Batch norm's lines (docs/design.md §7) with the run's ε_bn and ρ."""
    values = dict(eps=tex(run.bn_epsilon), rho=tex(run.bn_momentum))
    return [Template(line).substitute(values) for line in BATCH_NORM]


def formula_sections(run: RunConfig, m: int, classes: int = 2) -> list[tuple[str, list[str]]]:
    """(markdown heading, LaTeX lines) of the formulas panel: symbols, then the run's numbers;
    for K = ``classes`` ≥ 3 the softmax cost and output."""
    batch = run.batch_width(m)
    cost, cost_n, grad, grad_n = cost_formulas(run, m, batch, classes)
    rules = [line for pair in zip(update_rule(run, False), update_rule(run, True)) for line in pair]
    l1 = run.lambd1 > 0
    sign = "; sign(0) = 0, so a weight at 0 stays there" if l1 else ""
    strengths = f"λ = {fmt(run.lambd)}" + (f", λ₁ = {fmt(run.lambd1)}" if l1 else "")
    sections = [
        (
            f"**Cost with L2{' and L1' if l1 else ''}** — {strengths}, m = {m} training points",
            [cost, cost_n],
        ),
        (
            f"**Its gradient** — on a mini-batch of m = {batch} (an epoch's last batch may be "
            f"smaller); biases are not penalised{sign}",
            [grad, grad_n],
        ),
        (
            f"**Initialization: {INIT_NAMES[run.init]}** — biases start at 0",
            [INITS[run.init].formula, init_scales(run)],
        ),
        (f"**{OPTIMIZERS[run.optimizer].title}** — g is the gradient, t counts updates", rules),
        ("**Hidden activation**", [activation_formula(run)]),
    ]
    if classes > 2:
        heading = f"**Output: softmax over K = {classes} classes** — Y one-hot, max-shifted"
        sections.insert(2, (heading, [SOFTMAX]))
    if run.batch_norm:
        sections.append(
            (
                f"**Batch normalization** — each hidden layer, over the mini-batch, before g; "
                f"b[l] is dropped (held at 0: β takes its place); γ, β are learned by "
                f"{OPTIMIZERS[run.optimizer].title} and never penalised; every evaluation uses "
                f"the running μ, σ²",
                batch_norm_formulas(run),
            )
        )
    if run.features != PLANE:
        inputs = ", ".join(FEATURES[name].latex for name in run.features)
        sections.insert(
            0,
            (
                f"**Input features** — n[0] = {len(run.features)}; the boundary is still drawn "
                "over the (x₁, x₂) plane",
                [rf"A^{{[0]}} = \big({inputs}\big)^T"],
            ),
        )
    dropout = dropout_formula(run)
    if dropout:
        sections.append((f"**Inverted dropout** — keep_prob = {fmt(run.keep_prob)}", [dropout]))
    return sections
