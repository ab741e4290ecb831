"""The pieces of an exported script: the course's functions as source text (docs/design.md §4b).

nnviz/models/script_export.py picks the pieces one run needs, fills in ``$names`` (string.Template)
and keeps or drops the lines tagged at their end:

    ...code...  #?dropout      kept only when the run uses dropout
    ...code...  #?!dropout     kept only when it does not

The tags are the run's flags (script_export.flags): one per optimizer, per decay schedule, per batch
plan (fullbatch / shuffle / ordered), and dropout, l2, l1, features, bn, softmax (K ≥ 3 classes),
test, sklearn; FORWARD,
written twice when training and evaluation differ, also trainbn (batch norm with the mini-batch's
statistics) and evalbn (with the running averages). The code mirrors
nnviz/engine — the same formulas, the same random streams, in the same order — written layer by
layer as the course's notebooks write it, with parameters["W"][l] for W[l].
"""

HEADER = '''"""$title

A standalone copy of one nnviz run, written in the functions of the deeplearning.ai course
"Improving Deep Neural Networks". It draws the same data, the same initial weights, the same
mini-batches and the same dropout masks as nnviz, so it prints the final cost nnviz shows for this
run (to about 1e-9: NumPy may add the same numbers in another order).

Run it with:  python $file_name    (needs numpy$needs)
"""

import numpy as np
from sklearn import datasets  #?sklearn

# --- the run's settings -----------------------------------------------------------------------
$constants
'''

LOAD_GENERATED = '''

# --- the data ---------------------------------------------------------------------------------


def load_dataset():
    """The training and the test points: X (2, m), one example per column, and Y (1, m) of
    $labels_of.

    nnviz draws the training points with random_state = SEED and the test points, independently,
    with SEED + 1.
    """
    train_X, train_Y = make_points(TRAIN_SAMPLES, SEED)
    test_X, test_Y = make_points(TEST_SAMPLES, SEED + 1)  #?test
    return train_X, train_Y, test_X, test_Y  #?test
    return train_X, train_Y, None, None  #?!test
'''

LOAD_EMBEDDED = '''

# --- the data ---------------------------------------------------------------------------------


def load_dataset():
    """Your CSV's points, split into training and test points as nnviz split them (their values
    are at the end of this file): X (2, m), one example per column, and Y (1, m) of $labels_of."""
    return TRAIN_X, TRAIN_Y, TEST_X, TEST_Y  #?test
    return TRAIN_X, TRAIN_Y, None, None  #?!test
'''

# one make_points per generated data set: (n, seed) -> X (2, n), Y (1, n)
MAKE_POINTS = {
    "moons": '''

def make_points(n, seed):
    """n points on two interleaved half moons, with Gaussian noise of standard deviation NOISE."""
    X, y = datasets.make_moons(n, noise=NOISE, random_state=seed)
    return X.T, y.reshape(1, -1).astype(float)
''',
    "circles": '''

def make_points(n, seed):
    """n points on two circles (the inner one 0.8 times the outer), with Gaussian noise NOISE."""
    X, y = datasets.make_circles(n, noise=NOISE, random_state=seed)
    return X.T, y.reshape(1, -1).astype(float)
''',
    "blobs": '''

def make_points(n, seed):
    """n points in two Gaussian blobs around (-1, -1) and (1, 1), of spread 0.3 + 2 · NOISE."""
    centers = [[-1.0, -1.0], [1.0, 1.0]]
    X, y = datasets.make_blobs(n, centers=centers, cluster_std=0.3 + 2 * NOISE, random_state=seed)
    return X.T, y.reshape(1, -1).astype(float)
''',
    "xor": '''

def make_points(n, seed):
    """n uniform points in [-1, 1]², label 1 where x1 · x2 > 0; then Gaussian jitter NOISE."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    X = X + NOISE * rng.standard_normal((n, 2))
    return X.T, y.reshape(1, -1).astype(float)
''',
    "spiral": '''

def make_points(n, seed):
    """n points on two interleaved arms turning 1.5 times around the origin, jitter NOISE / 2."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    r = rng.uniform(0.05, 1.0, n)
    angle = 3 * np.pi * r + np.pi * y
    X = np.column_stack([r * np.cos(angle), r * np.sin(angle)])
    X = X + 0.5 * NOISE * rng.standard_normal((n, 2))
    return X.T, y.reshape(1, -1).astype(float)
''',
    "mislabeled": '''

def make_points(n, seed):
    """Half moons whose labels are wrong for a random 6% of the points."""
    X, y = datasets.make_moons(n, noise=NOISE, random_state=seed)
    flip = np.random.default_rng(seed).random(n) < 0.06
    y = np.where(flip, 1 - y, y)
    return X.T, y.reshape(1, -1).astype(float)
''',
}

# make_points for K ≥ 3 classes (the data sets that have them): labels 0..CLASSES-1
MAKE_POINTS_K = {
    "spiral": '''

def make_points(n, seed):
    """n points on CLASSES spiral arms (CS231n's): arm k has radii r = linspace(0, 1, N) and
    angles t = linspace(4k, 4k + 4, N) + NOISE · N(0, 1), at x = (r sin t, r cos t). The n
    points are split evenly, the first n mod CLASSES arms one more."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for k in range(CLASSES):
        N = n // CLASSES + (k < n % CLASSES)
        r = np.linspace(0.0, 1.0, N)
        t = np.linspace(4.0 * k, 4.0 * k + 4.0, N) + NOISE * rng.standard_normal(N)
        X.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        y.append(np.full(N, k))
    return np.vstack(X).T, np.concatenate(y).reshape(1, -1).astype(float)
''',
    "blobs": '''

def make_points(n, seed):
    """n points in CLASSES Gaussian blobs of spread 0.3 + 2 · NOISE, their centres evenly spaced
    on a circle of radius 1.5."""
    angle = 2 * np.pi * np.arange(CLASSES) / CLASSES + np.pi / 4
    centers = 1.5 * np.column_stack([np.cos(angle), np.sin(angle)])
    X, y = datasets.make_blobs(n, centers=centers, cluster_std=0.3 + 2 * NOISE, random_state=seed)
    return X.T, y.reshape(1, -1).astype(float)
''',
}

ONE_HOT = '''

def one_hot(Y):
    """Labels Y (1, m) of 0..CLASSES-1 as the (CLASSES, m) matrix whose column i is 1 in row
    Y[i] and 0 elsewhere: what the softmax output is compared with."""
    return (np.arange(CLASSES).reshape(-1, 1) == Y).astype(float)
'''

# one initialize_parameters_<init> per scheme; $scale multiplies the N(0, 1) draw
INITIALIZE = '''

# --- the network ------------------------------------------------------------------------------


def initialize_parameters_$init(layers_dims, rng):
    """$formula for l = 1..L; b[l] = 0.

    parameters["W"][l] is W[l], of shape (n[l], n[l-1]); index 0 is unused, so that layers count
    from 1 as in the course. Every layer draws its N(0, 1) numbers from rng, in order.
    """
    W, b = [None], [None]
    for l in range(1, len(layers_dims)):
        n, n_prev = layers_dims[l], layers_dims[l - 1]
        W.append(rng.standard_normal((n, n_prev)) * $scale)  #?!zeros
        W.append(np.zeros((n, n_prev)))  #?zeros
        b.append(np.zeros((n, 1)))
    return {"W": W, "b": b}
'''

SIGMOID = '''

def sigmoid(Z):
    """σ(Z) = 1 / (1 + e^-Z), written so that e^x never overflows."""
    E = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1 / (1 + E), E / (1 + E))
'''

# the hidden layers' activation g and its backward step dZ = dA ⊙ g'(Z)
ACTIVATION = {
    "relu": '''

def relu(Z):
    """g(Z) = max(0, Z), element by element."""
    return np.maximum(Z, 0.0)


def relu_backward(dA, Z):
    """dZ = dA ⊙ g'(Z): the gradient passes where Z > 0 and nowhere else (g'(0) = 0)."""
    return dA * (Z > 0)
''',
    "tanh": '''

def tanh(Z):
    """g(Z) = tanh(Z), element by element."""
    return np.tanh(Z)


def tanh_backward(dA, Z):
    """dZ = dA ⊙ g'(Z), with g'(Z) = 1 − tanh²(Z)."""
    A = np.tanh(Z)
    return dA * (1.0 - A * A)
''',
    "sigmoid": '''

def sigmoid_backward(dA, Z):
    """dZ = dA ⊙ g'(Z), with g'(Z) = σ(Z) (1 − σ(Z))."""
    A = sigmoid(Z)
    return dA * (A * (1.0 - A))
''',
}

FORWARD = '''

def $forward(X, parameters$forward_args):
    """Z[l] = W[l] A[l-1] + b[l];  A[l] = $g(Z[l]) in the hidden layers;  A[L] = $output(Z[L]).

    Batch norm before g in the hidden layers (b[l] = 0): Z̃[l] = γ[l] Z_norm + β[l]  #?trainbn
    with the mini-batch's own μ and σ² (batchnorm_forward), and A[l] = $g(Z̃[l]).  #?trainbn
    Batch norm before g in the hidden layers (b[l] = 0), with the running averages  #?evalbn
    in place of a batch's μ and σ² (batchnorm_evaluate): A[l] = $g(Z̃[l]).  #?evalbn
    Inverted dropout on the hidden layers: D[l] = (u < keep_prob), u uniform on [0, 1)  #?dropout
    and drawn anew from rng at every step, and A[l] ← A[l] ⊙ D[l] / keep_prob.  #?dropout
    Returns A[L] and the cache backward propagation reads: lists by layer.
    """
    W, b = parameters["W"], parameters["b"]
    gamma, beta = parameters["gamma"], parameters["beta"]  #?bn
    mean, var = parameters["running_mean"], parameters["running_var"]  #?evalbn
    L = len(W) - 1
    A, Z = [X], [None]  # A[0] = X
    D = [None]  #?dropout
    BN = [None]  #?trainbn
    for l in range(1, L):
        Z.append(W[l] @ A[l - 1] + b[l])
        Z[l], bn_cache = batchnorm_forward(Z[l], gamma[l], beta[l], BN_EPSILON)  # Z̃[l]  #?trainbn
        BN.append(bn_cache)  #?trainbn
        Z[l] = batchnorm_evaluate(Z[l], gamma[l], beta[l], mean[l], var[l], BN_EPSILON)  #?evalbn
        A.append($g(Z[l]))
        D.append(rng.random(A[l].shape) < keep_prob)  #?dropout
        A[l] = A[l] * D[l] / keep_prob  #?dropout
    Z.append(W[L] @ A[L - 1] + b[L])
    A.append($output(Z[L]))
    cache = {"A": A, "Z": Z}  # under batch norm Z[l] holds Z̃[l], what g was applied to  #?bn
    cache = {"A": A, "Z": Z}  #?!bn
    cache["D"] = D  #?dropout
    cache["BN"] = BN  # each hidden layer's (Z_norm, γ, μ, σ², ε)  #?trainbn
    return A[L], cache
'''

COST = '''

def compute_cost(ZL, Y):
    """The cross-entropy J = −(1/m) Σ [y log a + (1 − y) log(1 − a)], a = σ(z), from the logits
    z = Z[L]: it equals (1/m) Σ [max(z, 0) − y z + log(1 + e^−|z|)], which stays exact where σ(z)
    rounds to 0 or 1 (there the course's form takes log(0))."""
    m = Y.shape[1]
    return float(np.sum(np.maximum(ZL, 0.0) - Y * ZL + np.log1p(np.exp(-np.abs(ZL)))) / m)
'''

SOFTMAX = '''

def softmax(Z):
    """e^Z / Σₖ e^Zₖ over the K units of each column, computed as e^(Z − max Z) / Σₖ e^(Zₖ − max Z):
    the shift changes nothing and keeps every power ≤ 1, so large logits cannot overflow."""
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)
'''

COST_SOFTMAX = '''

def compute_cost(ZL, Y):
    """The cross-entropy J = −(1/m) Σᵢ Σₖ Yₖᵢ log Aₖᵢ of A = softmax(Z[L]) and one-hot Y, from
    the logits: log softmax(Z) = Z − log Σₖ e^Zₖ, and log Σₖ e^Zₖ = max Z + log Σₖ e^(Zₖ − max Z)
    never overflows."""
    m = Y.shape[1]
    top = ZL.max(axis=0, keepdims=True)
    log_sum_exp = top + np.log(np.sum(np.exp(ZL - top), axis=0, keepdims=True))
    return float(np.sum(np.sum(Y * (log_sum_exp - ZL), axis=0)) / m)
'''

COST_L2 = '''

def compute_cost_with_regularization(ZL, Y, parameters, lambd):
    """J = the cross-entropy + λ/(2m) Σ_l ‖W[l]‖²_F: the weights are penalised, the biases not."""
    m = Y.shape[1]
    W = parameters["W"]
    L2_regularization_cost = lambd / (2 * m) * sum(np.sum(W[l] * W[l]) for l in range(1, len(W)))
    return compute_cost(ZL, Y) + float(L2_regularization_cost)
'''

COST_L1 = '''

def compute_cost_with_l1(ZL, Y, parameters, lambd1):  #?!l2
def compute_cost_with_l1_and_l2(ZL, Y, parameters, lambd1, lambd):  #?l2
    """J = the cross-entropy + (λ₁/m) Σ_l Σ|W[l]|: the weights are penalised, the biases not.  #?!l2
    """J = the cross-entropy + λ/(2m) Σ_l ‖W[l]‖²_F + (λ₁/m) Σ_l Σ|W[l]|, weights only.  #?l2
    m is the whole training set, as in the L2 term."""
    m = Y.shape[1]
    W = parameters["W"]
    L1_regularization_cost = lambd1 / m * sum(np.sum(np.abs(W[l])) for l in range(1, len(W)))
    J = compute_cost(ZL, Y)  #?!l2
    J = compute_cost_with_regularization(ZL, Y, parameters, lambd)  #?l2
    return J + float(L1_regularization_cost)
'''

# the function that turns the points (x₁, x₂) into the network's inputs; $rows from FEATURE_ROWS
FEATURES = '''

def input_features(X):
    """The network's inputs at points X (2, m): one row per feature, $labels.
    The data stay points in the (x₁, x₂) plane; the network sees only these rows."""
    x1, x2 = X[0], X[1]
    return np.stack([$rows])
'''

# each input feature as an expression in the rows x1, x2 (nnviz/engine/features.py)
FEATURE_ROWS = {
    "x1": "x1",
    "x2": "x2",
    "x1^2": "x1 * x1",
    "x2^2": "x2 * x2",
    "x1x2": "x1 * x2",
    "sinx1": "np.sin(x1)",
    "sinx2": "np.sin(x2)",
}

BATCHNORM = '''

def initialize_batchnorm(layers_dims):
    """γ[l] = 1 and β[l] = 0 in each hidden layer l; and the running averages μ_run = 0,
    σ²_run = 1 that evaluation uses in place of a batch's statistics. Index 0 is unused."""
    hidden = layers_dims[1:-1]
    return {
        "gamma": [None] + [np.ones((n, 1)) for n in hidden],
        "beta": [None] + [np.zeros((n, 1)) for n in hidden],
        "running_mean": [None] + [np.zeros((n, 1)) for n in hidden],
        "running_var": [None] + [np.ones((n, 1)) for n in hidden],
    }


def batchnorm_forward(Z, gamma, beta, epsilon):
    """Z̃ = γ ⊙ Z_norm + β with Z_norm = (Z − μ) / √(σ² + ε), per unit over the examples of this
    mini-batch: μ = (1/m) Σ Z and σ² = (1/m) Σ (Z − μ)² (biased). b[l] stays 0: μ would cancel
    it, and β takes its place. Returns Z̃ and the cache batchnorm_backward reads."""
    mu = np.mean(Z, axis=1, keepdims=True)
    var = np.mean((Z - mu) ** 2, axis=1, keepdims=True)
    Z_norm = (Z - mu) / np.sqrt(var + epsilon)
    return gamma * Z_norm + beta, (Z_norm, gamma, mu, var, epsilon)


def batchnorm_backward(dZ_tilde, bn_cache):
    """dZ from dZ̃, through γ and through the batch's μ and σ², and the gradients of γ and β:

    dβ = (1/m) Σ dZ̃;  dγ = (1/m) Σ dZ̃ ⊙ Z_norm  (the cost's 1/m, as in db)
    dZ = γ / √(σ² + ε) ⊙ (dZ̃ − dβ − Z_norm ⊙ dγ)
    """
    Z_norm, gamma, mu, var, epsilon = bn_cache
    dbeta = np.mean(dZ_tilde, axis=1, keepdims=True)
    dgamma = np.mean(dZ_tilde * Z_norm, axis=1, keepdims=True)
    dZ = gamma / np.sqrt(var + epsilon) * (dZ_tilde - dbeta - Z_norm * dgamma)
    return dZ, dgamma, dbeta


def batchnorm_evaluate(Z, gamma, beta, running_mean, running_var, epsilon):
    """Z̃ = γ ⊙ (Z − μ_run) / √(σ²_run + ε) + β: evaluation uses the running averages, so that
    a point's output does not depend on the other points evaluated with it."""
    return gamma * (Z - running_mean) / np.sqrt(running_var + epsilon) + beta


def update_running_averages(parameters, bn_caches, momentum):
    """μ_run ← (1 − ρ) μ_run + ρ μ and σ²_run ← (1 − ρ) σ²_run + ρ σ², ρ = momentum (the new
    batch's weight, PyTorch's convention), with the μ and σ² of this step's mini-batch. Once
    per update, after it; written μ_run + ρ (μ − μ_run) as nnviz computes it."""
    mean, var = parameters["running_mean"], parameters["running_var"]
    for l in range(1, len(mean)):
        Z_norm, gamma, mu, batch_var, epsilon = bn_caches[l]
        mean[l] = mean[l] + momentum * (mu - mean[l])
        var[l] = var[l] + momentum * (batch_var - var[l])
    return parameters
'''

BACKWARD = '''

def $backward(AL, Y, cache, parameters$backward_args):
    """dZ[L] = A[L] − Y (the cross-entropy through $output), then for l = L..1:

    dW[l] = (1/m) dZ[l] A[l-1]ᵀ;  db[l] = (1/m) Σ dZ[l] over the examples  #?!l2
    dW[l] = (1/m) dZ[l] A[l-1]ᵀ + (λ/m) W[l];  db[l] = (1/m) Σ dZ[l] over the examples  #?l2
    then dW[l] += (λ₁/m) sign(W[l]), with sign(0) = 0: a weight at 0 is left there  #?l1
    Batch norm: g' is taken at Z̃[l-1], then batchnorm_backward gives dZ[l-1], dγ, dβ; db = 0  #?bn
    dA[l-1] = W[l]ᵀ dZ[l];  dZ[l-1] = dA[l-1] ⊙ g'(Z[l-1])  #?!dropout
    dA[l-1] = W[l]ᵀ dZ[l] ⊙ D[l-1] / keep_prob;  dZ[l-1] = dA[l-1] ⊙ g'(Z[l-1])  #?dropout
    """
    W, A, Z = parameters["W"], cache["A"], cache["Z"]
    D = cache["D"]  #?dropout
    L, m = len(W) - 1, Y.shape[1]
    dW, db = [None] * (L + 1), [None] * (L + 1)
    dgamma, dbeta = [None] * L, [None] * L  #?bn
    dZ = AL - Y
    for l in range(L, 0, -1):
        dW[l] = 1.0 / m * dZ @ A[l - 1].T
        dW[l] = dW[l] + lambd / m * W[l]  # the gradient of λ/(2m) ‖W[l]‖²  #?l2
        dW[l] = dW[l] + lambd1 / m * np.sign(W[l])  # of (λ₁/m) Σ|W[l]|; sign(0) = 0  #?l1
        db[l] = 1.0 / m * np.sum(dZ, axis=1, keepdims=True)
        if l < L:  # b[l] stays 0 under batch norm: μ cancels it, β does its work  #?bn
            db[l] = np.zeros_like(db[l])  #?bn
        if l > 1:
            dA = W[l].T @ dZ
            dA = dA * D[l - 1] / keep_prob  # a dropped unit passes no gradient back  #?dropout
            dZ = $g_backward(dA, Z[l - 1])  #?!bn
            dZ = $g_backward(dA, Z[l - 1])  # that is dZ̃[l-1]: through g at Z̃  #?bn
            dZ, dgamma[l - 1], dbeta[l - 1] = batchnorm_backward(dZ, cache["BN"][l - 1])  #?bn
    return {"dW": dW, "db": db, "dgamma": dgamma, "dbeta": dbeta}  #?bn
    return {"dW": dW, "db": db}  #?!bn
'''

MINI_BATCHES = '''

# --- training ---------------------------------------------------------------------------------


def random_mini_batches(X, Y, mini_batch_size, rng):  #?shuffle
def mini_batches_in_order(X, Y, mini_batch_size):  #?ordered
    """The epoch's mini-batches (X_b, Y_b), each mini_batch_size columns, the last one smaller
    when mini_batch_size does not divide m. A new order of the columns every epoch."""  #?shuffle
    when mini_batch_size does not divide m. The columns in the data's own order."""  #?ordered
    m = X.shape[1]
    permutation = rng.permutation(m)  #?shuffle
    X, Y = X[:, permutation], Y[:, permutation]  #?shuffle
    return [
        (X[:, k : k + mini_batch_size], Y[:, k : k + mini_batch_size])
        for k in range(0, m, mini_batch_size)
    ]
'''

# the optimizers: how each keeps its state, and its update
OPTIMIZER = {
    "gd": '''

def update_parameters_with_gd(parameters, grads, learning_rate):
    """θ ← θ − α dθ, for θ = $thetas."""
    for name, d in $pairs:
        for l in range(1, len(parameters[name])):
            parameters[name][l] = parameters[name][l] - learning_rate * grads[d][l]
    return parameters
''',
    "momentum": '''

def initialize_velocity(parameters):
    """v = 0, shaped like each $grads."""
    return {
        "dW": [None] + [np.zeros_like(W) for W in parameters["W"][1:]],
        "db": [None] + [np.zeros_like(b) for b in parameters["b"][1:]],
        "dgamma": [None] + [np.zeros_like(g) for g in parameters["gamma"][1:]],  #?bn
        "dbeta": [None] + [np.zeros_like(b) for b in parameters["beta"][1:]],  #?bn
    }


def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    """v ← β v + (1 − β) dθ;  θ ← θ − α v, for θ = $thetas."""
    for name, d in $pairs:
        for l in range(1, len(parameters[name])):
            v[d][l] = beta * v[d][l] + (1 - beta) * grads[d][l]
            parameters[name][l] = parameters[name][l] - learning_rate * v[d][l]
    return parameters, v
''',
    "rmsprop": '''

def initialize_rmsprop(parameters):
    """s = 0, shaped like each $grads."""
    return {
        "dW": [None] + [np.zeros_like(W) for W in parameters["W"][1:]],
        "db": [None] + [np.zeros_like(b) for b in parameters["b"][1:]],
        "dgamma": [None] + [np.zeros_like(g) for g in parameters["gamma"][1:]],  #?bn
        "dbeta": [None] + [np.zeros_like(b) for b in parameters["beta"][1:]],  #?bn
    }


def update_parameters_with_rmsprop(parameters, grads, s, beta2, learning_rate, epsilon):
    """s ← β₂ s + (1 − β₂) dθ²;  θ ← θ − α dθ / (√s + ε), for θ = $thetas."""
    for name, d in $pairs:
        for l in range(1, len(parameters[name])):
            s[d][l] = beta2 * s[d][l] + (1 - beta2) * (grads[d][l] * grads[d][l])
            step = learning_rate * grads[d][l] / (np.sqrt(s[d][l]) + epsilon)
            parameters[name][l] = parameters[name][l] - step
    return parameters, s
''',
    "adam": '''

def initialize_adam(parameters):
    """v = 0 and s = 0, shaped like each $grads."""
    v = {
        "dW": [None] + [np.zeros_like(W) for W in parameters["W"][1:]],
        "db": [None] + [np.zeros_like(b) for b in parameters["b"][1:]],
        "dgamma": [None] + [np.zeros_like(g) for g in parameters["gamma"][1:]],  #?bn
        "dbeta": [None] + [np.zeros_like(b) for b in parameters["beta"][1:]],  #?bn
    }
    s = {
        "dW": [None] + [np.zeros_like(W) for W in parameters["W"][1:]],
        "db": [None] + [np.zeros_like(b) for b in parameters["b"][1:]],
        "dgamma": [None] + [np.zeros_like(g) for g in parameters["gamma"][1:]],  #?bn
        "dbeta": [None] + [np.zeros_like(b) for b in parameters["beta"][1:]],  #?bn
    }
    return v, s


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate, beta1, beta2, epsilon):
    """v ← β₁ v + (1 − β₁) dθ;  s ← β₂ s + (1 − β₂) dθ²;  v̂ = v / (1 − β₁ᵗ);  ŝ = s / (1 − β₂ᵗ);
    θ ← θ − α v̂ / (√ŝ + ε), for θ = $thetas; t counts the updates, 1 at the first."""
    for name, d in $pairs:
        for l in range(1, len(parameters[name])):
            v[d][l] = beta1 * v[d][l] + (1 - beta1) * grads[d][l]
            s[d][l] = beta2 * s[d][l] + (1 - beta2) * (grads[d][l] * grads[d][l])
            v_corrected = v[d][l] / (1 - beta1**t)
            s_corrected = s[d][l] / (1 - beta2**t)
            step = learning_rate * v_corrected / (np.sqrt(s_corrected) + epsilon)
            parameters[name][l] = parameters[name][l] - step
    return parameters, v, s
''',
}

DECAY = {
    "inverse": '''

def update_lr(learning_rate0, epoch_num, decay_rate):
    """α = α₀ / (1 + decay_rate · epoch_num)."""
    return learning_rate0 / (1 + decay_rate * epoch_num)
''',
    "scheduled": '''

def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval):
    """α = α₀ / (1 + decay_rate · ⌊epoch_num / time_interval⌋): a step down every time_interval."""
    return learning_rate0 / (1 + decay_rate * (epoch_num // time_interval))
''',
}

MODEL = '''

def diverged(parameters, cost):
    """True once the cost or a parameter has left the floats (inf or NaN): nnviz stops the
    run there (past 500 epochs it looks at the cost only at the epochs it records)."""
    names = $kept
    finite = all(np.all(np.isfinite(p)) for name in names for p in parameters[name][1:])
    return not (finite and np.isfinite(cost))


def copy_parameters(parameters):  #?early
    """A copy of every $thetas, kept while training goes on."""  #?early
    names = $kept  #?early
    return {name: [None] + [p.copy() for p in parameters[name][1:]] for name in names}  #?early
  #?early
  #?early
def model(X, Y, layers_dims):  #?!early
def model(X, Y, layers_dims, test_X, test_Y):  #?early
    """NUM_EPOCHS passes over the training set, one update per mini-batch; the parameters.
    Early stopping: the parameters of the lowest test cost; training stops once PATIENCE  #?early
    epochs in a row have not lowered it (and at the end the best ones are kept anyway).  #?early
    Batch norm: after each update the running averages take in that mini-batch's μ and σ².  #?bn

    Every random number comes from one of nnviz's streams, np.random.default_rng([SEED, k]):
    k = 1 the initial weights, k = 2 the batch order, k = 3 the dropout masks.
    """
    parameters = initialize_parameters_$init(layers_dims, np.random.default_rng([SEED, 1]))
    parameters |= initialize_batchnorm(layers_dims)  # γ, β and the running averages  #?bn
    shuffle_rng = np.random.default_rng([SEED, 2])  #?shuffle
    dropout_rng = np.random.default_rng([SEED, 3])  #?dropout
    v = initialize_velocity(parameters)  #?momentum
    s = initialize_rmsprop(parameters)  #?rmsprop
    v, s = initialize_adam(parameters)  #?adam
    t = 0  # Adam's count of updates  #?adam
    learning_rate = LEARNING_RATE
    best_cost = compute_cost(logits(test_X, parameters), test_Y)  # early stopping's watch  #?early
    best_epoch, best_parameters = 0, copy_parameters(parameters)  #?early
    for i in range(NUM_EPOCHS):
        minibatches = random_mini_batches(X, Y, MINI_BATCH_SIZE, shuffle_rng)  #?shuffle
        minibatches = mini_batches_in_order(X, Y, MINI_BATCH_SIZE)  #?ordered
        minibatches = [(X, Y)]  # the full batch: one update per epoch  #?fullbatch
        for minibatch_X, minibatch_Y in minibatches:
            AL, cache = $train_forward(minibatch_X, parameters$train_forward_call)
            grads = $backward(AL, minibatch_Y, cache, parameters$backward_call)
            parameters = update_parameters_with_gd(parameters, grads, learning_rate)  #?gd
            parameters, v = update_parameters_with_momentum(  #?momentum
                parameters, grads, v, BETA1, learning_rate  #?momentum
            )  #?momentum
            parameters, s = update_parameters_with_rmsprop(  #?rmsprop
                parameters, grads, s, BETA2, learning_rate, EPSILON  #?rmsprop
            )  #?rmsprop
            t = t + 1  #?adam
            parameters, v, s = update_parameters_with_adam(  #?adam
                parameters, grads, v, s, t, learning_rate, BETA1, BETA2, EPSILON  #?adam
            )  #?adam
            parameters = update_running_averages(parameters, cache["BN"], BN_MOMENTUM)  #?bn
        # α for the next epoch, set after epoch i's updates as in the course's notebook  #?decay
        learning_rate = update_lr(LEARNING_RATE, i, DECAY_RATE)  #?inverse
        learning_rate = schedule_lr_decay(LEARNING_RATE, i, DECAY_RATE, TIME_INTERVAL)  #?scheduled
        cost = training_cost(X, Y, parameters)
        if diverged(parameters, cost):
            raise SystemExit(f"the run diverged in epoch {i + 1}: nnviz stops it there")
        if (i + 1) % PRINT_EVERY == 0:
            print(f"Cost after epoch {i + 1}: {cost:.6f}")
        test_cost = compute_cost(logits(test_X, parameters), test_Y)  #?early
        if test_cost < best_cost:  #?early
            best_cost, best_epoch = test_cost, i + 1  #?early
            best_parameters = copy_parameters(parameters)  #?early
        if i + 1 - best_epoch >= PATIENCE and i + 1 < NUM_EPOCHS:  #?early
            print(f"Stopped early after epoch {i + 1}; the best was epoch {best_epoch}")  #?early
            break  #?early
    return best_parameters  #?early
    return parameters  #?!early
'''

MAIN = '''

# --- the results ------------------------------------------------------------------------------


def logits(X, parameters):
    """Z[L] on the points X: the network without dropout  #?!bn
    """Z[L] on the points X: the network without dropout, with batch norm's running averages  #?bn
    (σ(Z[L]) > 0.5 exactly where Z[L] > 0)."""  #?!softmax
    (the largest softmax output is the largest Z[L]: no softmax needed to predict)."""  #?softmax
    AL, cache = forward_propagation(X, parameters)
    return cache["Z"][-1]


def training_cost(X, Y, parameters):
    """J on the whole training set, as nnviz reports it: no dropout, with the L2 and L1 terms."""
    return $cost(logits(X, parameters), Y$cost_call)


def accuracy(X, Y, parameters):
    """The share of points predicted right: 1 where Z[L] > 0, else 0."""  #?!softmax
    return float(np.mean((logits(X, parameters) > 0) == (Y > 0.5)))  #?!softmax
    """The share of points predicted right: the class of the largest Z[L]."""  #?softmax
    predicted = np.argmax(logits(X, parameters), axis=0)  #?softmax
    return float(np.mean(predicted == np.argmax(Y, axis=0)))  #?softmax


def main():
    train_X, train_Y, test_X, test_Y = load_dataset()
    train_X = input_features(train_X)  # the network's inputs  #?features
    test_X = input_features(test_X)  #?features_test
    train_Y = one_hot(train_Y)  # Y (K, m): column i is 1 in the row of its class  #?softmax
    test_Y = one_hot(test_Y)  #?softmax_test
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run says so in one line
        parameters = model(train_X, train_Y, LAYERS_DIMS)  #?!early
        parameters = model(train_X, train_Y, LAYERS_DIMS, test_X, test_Y)  #?early
    # repr: every digit, so the numbers compare exactly with nnviz's
    print("train_cost", repr(training_cost(train_X, train_Y, parameters)))
    print("train_accuracy", repr(accuracy(train_X, train_Y, parameters)))
    print("test_cost", repr(compute_cost(logits(test_X, parameters), test_Y)))  #?test
    print("test_accuracy", repr(accuracy(test_X, test_Y, parameters)))  #?test
'''

EMBEDDED_POINTS = """

# --- the points of your CSV, as nnviz split them (the training rows, then the test rows) --------

TRAIN_X = np.array($train_X)
TRAIN_Y = np.array($train_Y, dtype=float)
TEST_X = np.array($test_X)  #?test
TEST_Y = np.array($test_Y, dtype=float)  #?test
"""

FOOTER = """

if __name__ == "__main__":
    main()
"""
