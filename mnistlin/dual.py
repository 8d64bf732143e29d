"""Weights as weighted sums of training digits (the dual view), explained in chapter 6.

A linear model trained by gradient descent from zero never leaves the span of its
training digits: every gradient of a loss of the scores is ``X.T @ R / n`` for some
``(n, 10)`` matrix ``R``, a combination of the rows of ``X``. So the weights can be
written ``W = X.T @ alpha``: each training digit ``i`` enters the weight image of class
``k`` with its own coefficient ``alpha[i, k]``. This module computes those coefficients
for two models and uses them to rebuild weights and scores from the training digits.

The coefficients that produce a given ``W`` are not unique (60,000 digits, only 785
numbers per class), so "the" coefficients always mean those of a stated procedure: the
sum of the steps gradient descent took (:func:`fit_mse_gd_dual`), or the optimality
condition of a penalised fit (:func:`softmax_dual`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import N_CLASSES, as_features, as_labels, check_digit, check_weights
from .linear import _check_bias, scores
from .softmax import softmax

__all__ = [
    "DualFit",
    "SoftmaxDual",
    "dual_scores",
    "fit_mse_gd_dual",
    "largest_eigenvalue",
    "primal_weights",
    "relative_error",
    "running_sum",
    "softmax_dual",
    "split_by_class",
]

_CHUNK = 8192  # training rows handled at once when a float64 product is needed


@dataclass
class DualFit:
    """The result of :func:`fit_mse_gd_dual`.

    Attributes
    ----------
    W : numpy.ndarray
        ``(d, 10)`` float32 weights after the last step.
    b : numpy.ndarray
        ``(10,)`` float32 biases after the last step.
    alpha : numpy.ndarray
        ``(n, 10)`` float32 coefficients with ``W = X.T @ alpha`` and
        ``b = alpha.sum(axis=0)``.
    loss : numpy.ndarray
        ``(steps + 1,)`` float64 training loss (half the mean squared error) before the
        first step and after each step.
    learning_rate : float
        The step size used.
    eigenvalue : float
        The power-iteration estimate of the largest eigenvalue of the feature
        second-moment matrix (with the constant feature); steps below
        ``2 / eigenvalue`` are stable.
    """

    W: np.ndarray
    b: np.ndarray
    alpha: np.ndarray
    loss: np.ndarray
    learning_rate: float
    eigenvalue: float

    def predict(self, X) -> np.ndarray:
        """Return the digit with the highest score for each row of ``X``."""
        return scores(X, self.W, self.b).argmax(axis=1)


@dataclass
class SoftmaxDual:
    """The result of :func:`softmax_dual`.

    Attributes
    ----------
    alpha : numpy.ndarray
        ``(n, 10)`` float32 coefficients ``(Y - P) / (n * l2)``.
    relative_error : float
        ``||X.T @ alpha - W|| / ||W||``: zero at the exact optimum, so it measures how
        far from converged the fit is.
    """

    alpha: np.ndarray
    relative_error: float


def _one_hot(y: np.ndarray) -> np.ndarray:
    Y = np.zeros((len(y), N_CLASSES), dtype=np.float32)
    Y[np.arange(len(y)), y] = 1
    return Y


def _positive_int(value, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def _power_iteration(matvec, dim: int, max_iter: int, seed: int, rtol: float = 1e-7) -> float:
    """Largest eigenvalue of a symmetric positive semi-definite operator.

    Repeatedly applies the operator to a random start vector and normalises it; the
    Rayleigh quotient ``v @ M v`` then climbs to the largest eigenvalue, faster the
    larger its gap to the second one. It never overshoots, so the result is a lower
    bound that is tight once the iteration has settled.
    """
    v = np.random.default_rng(seed).standard_normal(dim)
    v /= np.linalg.norm(v)
    value = 0.0
    for _ in range(max_iter):
        w = matvec(v)
        new = float(v @ w)
        if not np.isfinite(new):
            raise ValueError("the features are too large: X.T @ X overflows in floating "
                             "point; scale them, e.g. to [0, 1] with mnistlin.to_features")
        norm = np.linalg.norm(w)
        if norm == 0:
            return 0.0
        v = w / norm
        if abs(new - value) <= rtol * abs(new):
            return new
        value = new
    return value


def largest_eigenvalue(X, max_iter: int = 100, seed: int = 0) -> float:
    """Estimate the largest eigenvalue of ``Xa.T @ Xa / n`` by power iteration.

    ``Xa`` is ``X`` with a constant feature 1 appended (the bias). Gradient descent on
    half the mean squared error of ``Xa @ V`` is stable exactly when the step is below
    ``2 / eigenvalue``. Each iteration costs two matrix-vector products with ``X``; the
    ``d x d`` matrix is never formed.

    Parameters
    ----------
    X : array_like
        ``(n, d)`` features.
    max_iter : int
        Most iterations; the loop stops earlier once the estimate changes by less than
        a relative 1e-7.
    seed : int
        Seed of the random start vector.

    Returns
    -------
    float
        The estimate, a lower bound on the true value.

    Raises
    ------
    ValueError
        If ``X`` is malformed or ``max_iter`` is not a positive integer.
    """
    X = as_features(X)
    max_iter = _positive_int(max_iter, "max_iter")
    n, d = X.shape

    def matvec(v: np.ndarray) -> np.ndarray:
        u = X @ v[:d].astype(X.dtype) + v[d]
        return np.append(X.T @ u, u.sum(dtype=np.float64)) / n

    return _power_iteration(matvec, d + 1, max_iter, seed)


def fit_mse_gd_dual(X, y, steps: int = 1000, learning_rate: float | None = None,
                    *, seed: int = 0) -> DualFit:
    """Fit ``W``, ``b`` by gradient descent on squared error and keep its coefficients.

    The loss is half the mean squared error between the scores ``X @ W + b`` and the
    one-hot targets ``Y``. Starting from zero, each step moves ``(W, b)`` by
    ``-learning_rate / n`` times ``(X.T @ R, R.sum(0))`` with the residuals
    ``R = X @ W + b - Y``: it adds the training digits to the weights, digit ``i`` with
    the coefficients ``-learning_rate / n * R[i]``. Summing the steps gives ``alpha``
    with ``W = X.T @ alpha`` and ``b = alpha.sum(axis=0)`` exactly.

    The residuals are linear in the weights, so their sum over the steps is the
    residual of the summed weights: ``alpha = learning_rate / n * (steps * Y - Xa @ S)``
    where ``S`` is the sum of the iterates and ``Xa`` is ``X`` with a column of ones.
    That makes the coefficients cost one product with ``X`` in total. The steps
    themselves use the ``(d + 1) x (d + 1)`` second-moment matrix of ``Xa``, formed once
    (one ``X.T @ X``), so each step is cheap: a few seconds for thousands of steps on
    MNIST.

    Parameters
    ----------
    X : array_like
        ``(n, d)`` training features, e.g. ``mnistlin.to_features(images)``.
    y : array_like
        ``(n,)`` labels 0-9.
    steps : int
        Number of gradient steps.
    learning_rate : float, optional
        Step size. By default ``1 / eigenvalue``, with the largest eigenvalue of
        ``Xa.T @ Xa / n`` estimated by power iteration: half the stability limit
        ``2 / eigenvalue``, which leaves room for the estimate being slightly low.
    seed : int
        Seed of the power iteration's start vector.

    Returns
    -------
    DualFit
        Weights, biases, coefficients, loss history, step size and eigenvalue.

    Raises
    ------
    ValueError
        If ``X`` or ``y`` is malformed, their lengths differ, ``steps`` is not a
        positive integer, or ``learning_rate`` is not positive or not below the
        stability limit ``2 / eigenvalue``.
    """
    X = as_features(X)
    y = as_labels(y, len(X))
    steps = _positive_int(steps, "steps")
    n, d = X.shape
    Y = _one_hot(y)

    # Second moments of the features with a constant 1 appended, divided by n.
    G = np.empty((d + 1, d + 1))
    G[:d, :d] = X.T @ X
    G[:d, d] = G[d, :d] = X.sum(axis=0, dtype=np.float64)
    G[d, d] = n
    G /= n
    C = np.vstack([X.T @ Y, Y.sum(axis=0)]).astype(np.float64) / n  # Xa.T @ Y / n

    eigenvalue = _power_iteration(lambda v: G @ v, d + 1, 200, seed)
    if learning_rate is None:
        learning_rate = 1.0 / eigenvalue
    ok = isinstance(learning_rate, (int, float, np.integer, np.floating))
    if not ok or isinstance(learning_rate, bool) or not 0 < learning_rate < np.inf:
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    if learning_rate >= 2.0 / eigenvalue:
        raise ValueError(
            f"learning_rate {learning_rate:.4g} is unstable: it must be below "
            f"2 / largest eigenvalue = {2.0 / eigenvalue:.4g}"
        )
    learning_rate = float(learning_rate)

    V = np.zeros((d + 1, N_CLASSES))  # the iterate (W stacked over b)
    S = np.zeros_like(V)  # sum of the iterates before each step
    loss = np.empty(steps + 1)
    for t in range(steps + 1):
        GV = G @ V
        # ||Xa V - Y||^2 / (2n), expanded; ||Y||^2 / n is 1 for one-hot rows.
        loss[t] = 0.5 * (np.vdot(V, GV) - 2 * np.vdot(V, C) + 1.0)
        if t == steps:
            break
        S += V
        V -= learning_rate * (GV - C)

    R_sum = _times_float64(X, S[:d]) + S[d] - steps * Y  # sum of the residuals
    alpha = (-learning_rate / n * R_sum).astype(np.float32)
    return DualFit(
        W=V[:d].astype(np.float32),
        b=V[d].astype(np.float32),
        alpha=alpha,
        loss=loss,
        learning_rate=learning_rate,
        eigenvalue=float(eigenvalue),
    )


def _times_float64(X: np.ndarray, M: np.ndarray) -> np.ndarray:
    """Return ``X @ M`` in float64, converting ``X`` a chunk of rows at a time."""
    out = np.empty((len(X), M.shape[1]))
    for start in range(0, len(X), _CHUNK):
        out[start:start + _CHUNK] = X[start:start + _CHUNK].astype(np.float64) @ M
    return out


def _transpose_times(X: np.ndarray, A: np.ndarray) -> np.ndarray:
    """Return ``X.T @ A`` accumulated in float64, a chunk of rows at a time."""
    out = np.zeros((X.shape[1],) + A.shape[1:])
    for start in range(0, len(X), _CHUNK):
        rows = slice(start, start + _CHUNK)
        out += X[rows].T.astype(np.float64) @ A[rows].astype(np.float64)
    return out


def _check_alpha(alpha, n: int) -> np.ndarray:
    alpha = as_features(alpha, "alpha")
    if alpha.shape != (n, N_CLASSES):
        raise ValueError(
            f"alpha must have shape (n_training_digits, 10) = ({n}, 10), got {alpha.shape}"
        )
    return alpha


def primal_weights(X, alpha) -> tuple[np.ndarray, np.ndarray]:
    """Rebuild weights and biases from coefficients: ``W = X.T @ alpha``, ``b = sum(alpha)``.

    The sums are accumulated in float64, so the result measures the coefficients and not
    the rounding of a 60,000-term float32 sum.

    Parameters
    ----------
    X : array_like
        ``(n, d)`` training features.
    alpha : array_like
        ``(n, 10)`` coefficients, one row per training digit.

    Returns
    -------
    W : numpy.ndarray
        ``(d, 10)`` float32.
    b : numpy.ndarray
        ``(10,)`` float32.

    Raises
    ------
    ValueError
        If an input is malformed or the number of rows differs.
    """
    X = as_features(X)
    alpha = _check_alpha(alpha, len(X))
    W = _transpose_times(X, alpha)
    return W.astype(np.float32), alpha.sum(axis=0, dtype=np.float64).astype(np.float32)


def relative_error(approx, exact) -> float:
    """Return ``||approx - exact|| / ||exact||`` (Frobenius norms, computed in float64).

    Raises
    ------
    ValueError
        If the shapes differ, an input is not finite, or ``exact`` is all zeros.
    """
    approx = np.asarray(approx, dtype=np.float64)
    exact = np.asarray(exact, dtype=np.float64)
    if approx.shape != exact.shape:
        raise ValueError(f"shapes differ: {approx.shape} and {exact.shape}")
    if not (np.isfinite(approx).all() and np.isfinite(exact).all()):
        raise ValueError("both arrays must hold finite numbers")
    scale = np.linalg.norm(exact)
    if scale == 0:
        raise ValueError("exact is all zeros; a relative error is undefined")
    return float(np.linalg.norm(approx - exact) / scale)


def softmax_dual(X, y, model, l2: float | None = None) -> SoftmaxDual:
    """Return the coefficients of a penalised softmax fit and how well they rebuild ``W``.

    At the minimum of ``mean cross-entropy + (l2 / 2) * ||W||^2`` (what
    :func:`mnistlin.softmax.fit_softmax` minimises) the gradient
    ``X.T @ (P - Y) / n + l2 * W`` is zero, so ``W = X.T @ alpha`` with
    ``alpha = (Y - P) / (n * l2)``: a digit's coefficient for its own class is
    ``(1 - p_true) / (n * l2) >= 0``, for any other class ``-p_k / (n * l2) <= 0``.
    Away from the minimum the identity fails by the size of the gradient, so the
    relative error of the rebuilt ``W`` measures how converged the fit is.

    Parameters
    ----------
    X : array_like
        ``(n, d)`` training features the model was fitted on.
    y : array_like
        ``(n,)`` labels 0-9.
    model : object
        A fitted model with attributes ``W`` (``(d, 10)``), ``b`` (``(10,)``) and, unless
        ``l2`` is given, ``l2``, such as a :class:`mnistlin.softmax.SoftmaxModel`.
    l2 : float, optional
        The penalty the model was fitted with; defaults to ``model.l2``.

    Returns
    -------
    SoftmaxDual
        ``alpha`` (``(n, 10)`` float32) and ``relative_error``.

    Raises
    ------
    ValueError
        If an input is malformed, the model lacks weights, or ``l2`` is not positive
        (without a penalty the optimum has no such form).
    """
    X = as_features(X)
    y = as_labels(y, len(X))
    if not (hasattr(model, "W") and hasattr(model, "b")):
        raise ValueError("model must have attributes W (d, 10) and b (10,)")
    W = check_weights(model.W, d=X.shape[1], name="model.W")
    b = _check_bias(model.b, "model.b")
    if l2 is None:
        l2 = getattr(model, "l2", None)
    ok = isinstance(l2, (int, float, np.integer, np.floating)) and not isinstance(l2, bool)
    if not ok or not 0 < l2 < np.inf:
        raise ValueError(f"l2 must be a positive number (the fit's penalty), got {l2!r}")
    n = len(X)
    P = softmax(scores(X, W, b))
    alpha = ((_one_hot(y) - P) / (n * float(l2))).astype(np.float32)
    W_rebuilt, _ = primal_weights(X, alpha)
    return SoftmaxDual(alpha=alpha, relative_error=relative_error(W_rebuilt, W))


def running_sum(X, alpha, k: int, counts, order=None) -> np.ndarray:
    """Return the weighted sums of the first ``m`` training digits for class ``k``.

    For each ``m`` in ``counts`` this is ``sum(alpha[i, k] * X[i])`` over the first
    ``m`` digits of ``order``; for ``m = n`` it is the weight column ``W[:, k]`` that the
    coefficients describe. All sums are made in one pass, each chunk of digits added to
    the previous total, accumulated in float64.

    Parameters
    ----------
    X : array_like
        ``(n, d)`` training features.
    alpha : array_like
        ``(n, 10)`` coefficients.
    k : int
        The class, 0-9.
    counts : array_like of int
        Numbers of digits ``m``, each 1 to ``n``, in increasing order.
    order : array_like of int, optional
        A permutation of ``0 .. n-1`` giving the order in which digits are added; by
        default the order of the rows.

    Returns
    -------
    numpy.ndarray
        ``(len(counts), d)`` float32, one partial sum per count.

    Raises
    ------
    ValueError
        If an input is malformed, ``counts`` is not increasing within 1 to ``n``, or
        ``order`` is not a permutation of the rows.
    """
    k = check_digit(k, "k")
    return running_sums(X, alpha, counts, order)[:, :, k]


def running_sums(X, alpha, counts, order=None) -> np.ndarray:
    """Return :func:`running_sum` for all ten classes at once, in one pass over ``X``.

    Returns
    -------
    numpy.ndarray
        ``(len(counts), d, 10)`` float32: entry ``[j, :, k]`` is the weighted sum of the
        first ``counts[j]`` digits for class ``k``.

    Raises
    ------
    ValueError
        As :func:`running_sum`.
    """
    X = as_features(X)
    n = len(X)
    alpha = _check_alpha(alpha, n)
    counts = np.asarray(counts)
    if counts.ndim != 1 or counts.size == 0 or counts.dtype.kind not in "iu":
        raise ValueError(f"counts must be a 1-D array of integers, got {counts!r}")
    if counts[0] < 1 or counts[-1] > n or np.any(np.diff(counts) <= 0):
        raise ValueError(f"counts must increase strictly within 1 to {n}, got {counts}")
    if order is not None:
        order = np.asarray(order)
        if (order.shape != (n,) or order.dtype.kind not in "iu"
                or not np.array_equal(np.sort(order), np.arange(n))):
            raise ValueError(f"order must be a permutation of 0 .. {n - 1}")
    total = np.zeros((X.shape[1], N_CLASSES))
    out = np.empty((len(counts), X.shape[1], N_CLASSES), dtype=np.float32)
    start = 0
    for j, m in enumerate(counts):
        for lo in range(start, int(m), _CHUNK):
            rows = slice(lo, min(lo + _CHUNK, int(m)))
            if order is not None:
                rows = order[rows]
            total += X[rows].T.astype(np.float64) @ alpha[rows].astype(np.float64)
        out[j] = total
        start = int(m)
    return out


def dual_scores(X_new, X_train, alpha, b=None) -> np.ndarray:
    """Return class scores computed from the training digits, never from ``W``.

    The score of class ``k`` for a digit ``x`` is
    ``sum_i alpha[i, k] * (x @ X_train[i]) + b[k]``: every training digit votes with its
    coefficient times the ink it shares with ``x``. This equals ``x @ W + b`` for
    ``W = X_train.T @ alpha``. It costs one dot product per training digit for every new
    digit, so use it on a few digits at a time.

    Parameters
    ----------
    X_new : array_like
        ``(m, d)`` digits to score (a single digit as ``(1, d)``).
    X_train : array_like
        ``(n, d)`` training features.
    alpha : array_like
        ``(n, 10)`` coefficients.
    b : array_like, optional
        ``(10,)`` biases; zero when omitted.

    Returns
    -------
    numpy.ndarray
        ``(m, 10)`` float64 scores.

    Raises
    ------
    ValueError
        If an input is malformed or the widths or row counts disagree.
    """
    X_new = as_features(X_new, "X_new")
    X_train = as_features(X_train, "X_train")
    if X_new.shape[1] != X_train.shape[1]:
        raise ValueError(
            f"X_new has {X_new.shape[1]} columns but X_train has {X_train.shape[1]}"
        )
    alpha = _check_alpha(alpha, len(X_train))
    b = _check_bias(b)
    shared = _times_float64(X_train, X_new.T.astype(np.float64))  # (n, m) dot products
    return shared.T @ alpha.astype(np.float64) + b


def split_by_class(alpha, y) -> tuple[np.ndarray, np.ndarray]:
    """Split coefficients into those of each digit for its own class and for the others.

    Parameters
    ----------
    alpha : array_like
        ``(n, 10)`` coefficients.
    y : array_like
        ``(n,)`` labels 0-9 of the training digits.

    Returns
    -------
    in_class : numpy.ndarray
        ``(n,)``: ``alpha[i, y[i]]``.
    out_of_class : numpy.ndarray
        ``(9 * n,)``: every other entry, row by row.

    Raises
    ------
    ValueError
        If ``alpha`` is not ``(n, 10)`` or the labels are malformed.
    """
    alpha = as_features(alpha, "alpha")
    if alpha.shape[1] != N_CLASSES:
        raise ValueError(f"alpha must have shape (n, 10), got {alpha.shape}")
    y = as_labels(y, len(alpha))
    own = np.zeros(alpha.shape, dtype=bool)
    own[np.arange(len(y)), y] = True
    return alpha[own], alpha[~own]
