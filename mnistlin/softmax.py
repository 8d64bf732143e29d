"""Multinomial logistic regression (softmax regression), explained in chapter 2.

The model gives digit ``k`` the score ``z_k = x @ W[:, k] + b[k]``, turns the ten scores
into probabilities with the softmax function, and is fitted by minimising the mean
cross-entropy, the average of ``-log p(true digit)`` over the training digits.

Two ways to fit it are offered:

- :func:`fit_softmax`: full-batch L-BFGS on the L2-penalised loss, run to convergence;
- :func:`fit_softmax_sgd`: plain minibatch stochastic gradient descent from zero, which
  records the loss and accuracy after every step so that training can be watched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from ._checks import N_CLASSES, as_features, as_labels, check_weights, warn_if_raw_pixels
from ._threads import scipy_blas_single_threaded
from .linear import _check_bias, scores

__all__ = [
    "SGDRun",
    "SoftmaxModel",
    "cross_entropy",
    "fit_softmax",
    "fit_softmax_sgd",
    "log_softmax",
    "loss_and_gradient",
    "softmax",
]


def _as_logits(Z) -> tuple[np.ndarray, bool]:
    """Return ``Z`` as a finite 2-D float array and whether it was a single row."""
    Z = np.asarray(Z)
    single = Z.ndim == 1
    if single:
        Z = Z.reshape(1, -1)
    Z = as_features(Z, "Z")
    if Z.shape[1] == 0:
        raise ValueError("Z must have at least one column (one score per class)")
    return Z, single


def log_softmax(Z) -> np.ndarray:
    """Return the logarithm of :func:`softmax` of each row, computed stably.

    Subtracting each row's maximum before exponentiating keeps every exponent at or
    below zero, so scores of any size (even +-1000) give finite results.

    Parameters
    ----------
    Z : array_like
        ``(n, k)`` scores (logits), or a single row of ``k`` scores.

    Returns
    -------
    numpy.ndarray
        Array of the same shape: ``Z - log(sum(exp(Z)))`` row by row.

    Raises
    ------
    ValueError
        If ``Z`` is not a finite 1-D or 2-D array of numbers.
    """
    Z, single = _as_logits(Z)
    shifted = Z - Z.max(axis=1, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return out[0] if single else out


def softmax(Z) -> np.ndarray:
    """Turn each row of scores into probabilities: ``exp(z_k) / sum_j exp(z_j)``.

    The computation subtracts each row's maximum first, which leaves the result
    unchanged but keeps it finite for scores of any size (even +-1000).

    Parameters
    ----------
    Z : array_like
        ``(n, k)`` scores (logits), or a single row of ``k`` scores.

    Returns
    -------
    numpy.ndarray
        Array of the same shape whose rows are non-negative and sum to 1.

    Raises
    ------
    ValueError
        If ``Z`` is not a finite 1-D or 2-D array of numbers.

    Examples
    --------
    >>> softmax([1000.0, 1000.0, -1000.0])
    array([0.5, 0.5, 0. ])
    """
    Z, single = _as_logits(Z)
    out = Z - Z.max(axis=1, keepdims=True)
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out[0] if single else out


def _mean_nll(Z: np.ndarray, y: np.ndarray) -> float:
    """Mean of ``-log softmax(Z)[i, y_i]``; overwrites ``Z`` (scores) in place."""
    rows = np.arange(len(y))
    Z -= Z.max(axis=1, keepdims=True)
    true = Z[rows, y].astype(np.float64)
    np.exp(Z, out=Z)
    log_norm = np.log(Z.sum(axis=1, dtype=np.float64))
    return float(np.mean(log_norm - true))


_EVAL_BLOCK = 50  # steps evaluated together by fit_softmax_sgd


def _curves(Z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean loss and accuracy per step from ``(n, steps, 10)`` scores (changed in place)."""
    acc = (Z.argmax(axis=2) == y[:, None]).mean(axis=0)
    Z -= Z.max(axis=2, keepdims=True)
    true = Z[np.arange(len(y)), :, y].astype(np.float64)
    np.exp(Z, out=Z)
    loss = (np.log(Z.sum(axis=2, dtype=np.float64)) - true).mean(axis=0)
    return loss, acc


def cross_entropy(X, y, W, b=None) -> float:
    """Return the mean cross-entropy ``-mean(log p(y_i | x_i))`` of a softmax model.

    Parameters
    ----------
    X : array_like
        ``(n, d)`` features.
    y : array_like
        ``(n,)`` labels 0-9.
    W : array_like
        ``(d, 10)`` weights.
    b : array_like, optional
        ``(10,)`` biases; zero when omitted.

    Returns
    -------
    float
        The mean loss in nats; ``log(10)`` (about 2.30) for all-zero weights.

    Raises
    ------
    ValueError
        If the shapes disagree or an input is not finite.
    """
    X = as_features(X)
    y = as_labels(y, len(X))
    return _mean_nll(scores(X, W, b), y)


class _LinearSoftmax:
    """Predictions shared by the fitted models (which hold ``W`` and ``b``)."""

    W: np.ndarray
    b: np.ndarray

    def predict_proba(self, X) -> np.ndarray:
        """Return the ``(n, 10)`` class probabilities for the rows of ``X``."""
        return softmax(scores(X, self.W, self.b))

    def predict(self, X) -> np.ndarray:
        """Return the most probable digit for each row of ``X``."""
        return scores(X, self.W, self.b).argmax(axis=1)


@dataclass(eq=False)
class SoftmaxModel(_LinearSoftmax):
    """A softmax model fitted by :func:`fit_softmax`.

    Attributes
    ----------
    W : numpy.ndarray
        ``(d, 10)`` float32 weights, one column per digit.
    b : numpy.ndarray
        ``(10,)`` float32 biases.
    n_iter : int
        L-BFGS iterations used.
    converged : bool
        Whether L-BFGS met its tolerance before ``max_iter``.
    l2 : float
        The L2 penalty the model was fitted with.
    loss : float
        The penalised objective at the solution.
    """

    W: np.ndarray
    b: np.ndarray
    n_iter: int
    converged: bool
    l2: float
    loss: float = float("nan")


@dataclass(eq=False)
class SGDRun(_LinearSoftmax):
    """The result of :func:`fit_softmax_sgd`: final weights, learning curves, snapshots.

    Attributes
    ----------
    W : numpy.ndarray
        ``(d, 10)`` float32 weights after the last step.
    b : numpy.ndarray
        ``(10,)`` float32 biases after the last step.
    history : dict of str to numpy.ndarray
        ``step`` (0 to ``steps``, so ``steps + 1`` entries, step 0 being the all-zero
        start), ``train_loss`` and ``train_acc`` (on a fixed subset of the training
        set), and, when a test set was given, ``test_loss`` and ``test_acc``.
    snapshots : dict of int to tuple of numpy.ndarray
        Step -> ``(W, b)`` copies, at step 0, every ``snapshot_every`` steps, and at the
        last step.
    """

    W: np.ndarray
    b: np.ndarray
    history: dict = field(default_factory=dict)
    snapshots: dict = field(default_factory=dict)


def _check_positive(value, name: str, integer: bool = False):
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    ok = isinstance(value, kinds) and not isinstance(value, (bool, np.bool_))
    if not ok or not np.isfinite(value) or value <= 0:
        kind = "a positive integer" if integer else "a positive finite number"
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return int(value) if integer else float(value)


def _check_l2(l2) -> float:
    ok = isinstance(l2, (int, float, np.integer, np.floating)) and not isinstance(l2, bool)
    if not ok or not np.isfinite(l2) or l2 < 0:
        raise ValueError(f"l2 must be a finite number >= 0, got {l2!r}")
    return float(l2)


def _objective(X: np.ndarray, y: np.ndarray, l2: float, centre: np.ndarray):
    """Return ``f(theta) -> (value, gradient)`` of the penalised mean cross-entropy.

    ``theta`` holds ``W`` (``d * 10`` values, row by row) and then ``c``, the biases of
    the centred features: the scores are ``(X - centre) @ W + c``, that is ``X @ W + b``
    with ``b = c - centre @ W``. The centring is applied to the small matrices only,
    never to ``X``. Each call makes one product ``X @ W`` and one ``(P - Y).T @ X`` in
    the dtype of ``X``, in buffers allocated once here.
    """
    n, d = X.shape
    dtype = X.dtype
    rows = np.arange(n)
    Z = np.empty((n, N_CLASSES), dtype=dtype)  # scores, then P - Y
    W = np.empty((d, N_CLASSES), dtype=dtype)
    GT = np.empty((N_CLASSES, d), dtype=dtype)  # the gradient of W, transposed
    inv_n = dtype.type(1 / n)

    def value_and_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w64, c = theta[: d * N_CLASSES].reshape(d, N_CLASSES), theta[d * N_CLASSES:]
        W[...] = w64
        np.matmul(X, W, out=Z)
        np.add(Z, (c - centre @ w64).astype(dtype), out=Z)
        loss = _mean_nll(Z, y)  # leaves exp(Z - row max) in Z
        np.divide(Z, Z.sum(axis=1, keepdims=True), out=Z)
        Z[rows, y] -= 1
        np.multiply(Z, inv_n, out=Z)
        np.matmul(Z.T, X, out=GT)  # faster than X.T @ Z when X is C-ordered
        dc = Z.sum(axis=0, dtype=np.float64)
        dW = GT.T - np.outer(centre, dc) + l2 * w64
        loss += 0.5 * l2 * float(np.vdot(w64, w64))
        return loss, np.concatenate([dW.ravel(), dc])

    return value_and_gradient


def loss_and_gradient(X, y, W, b=None, l2: float = 0.0) -> tuple[float, np.ndarray, np.ndarray]:
    """Return the penalised mean cross-entropy and its gradient (chapter 2).

    The loss is ``mean(-log softmax(X @ W + b)[i, y_i]) + (l2 / 2) * ||W||^2``. Its
    gradient has a short form: with ``P`` the predicted probabilities and ``Y`` the
    one-hot labels, ``dW = X.T @ (P - Y) / n + l2 * W`` and ``db = mean(P - Y)`` over
    the rows. :func:`fit_softmax` minimises this same function.

    Parameters
    ----------
    X : array_like
        ``(n, d)`` features.
    y : array_like
        ``(n,)`` labels 0-9.
    W : array_like
        ``(d, 10)`` weights.
    b : array_like, optional
        ``(10,)`` biases; zero when omitted.
    l2 : float
        Strength of the L2 penalty on ``W`` (>= 0); the bias is not penalised.

    Returns
    -------
    loss : float
    dW : numpy.ndarray
        ``(d, 10)`` float64 gradient with respect to ``W``.
    db : numpy.ndarray
        ``(10,)`` float64 gradient with respect to ``b``.

    Raises
    ------
    ValueError
        If the shapes disagree, an input is not finite, or ``l2`` is negative.
    """
    X = as_features(X)
    y = as_labels(y, len(X))
    W = check_weights(W, d=X.shape[1])
    b = _check_bias(b)
    l2 = _check_l2(l2)
    d = X.shape[1]
    theta = np.concatenate([np.asarray(W, dtype=np.float64).ravel(),
                            np.asarray(b, dtype=np.float64)])
    loss, grad = _objective(X, y, l2, np.zeros(d))(theta)
    return loss, grad[: d * N_CLASSES].reshape(d, N_CLASSES), grad[d * N_CLASSES:]


def fit_softmax(X, y, l2: float = 1e-4, max_iter: int = 500, tol: float = 1e-6) -> SoftmaxModel:
    """Fit softmax regression to convergence with full-batch L-BFGS (chapter 2).

    Minimises ``mean cross-entropy + (l2 / 2) * ||W||^2`` over ``W`` and ``b`` (see
    :func:`loss_and_gradient`); the bias is not penalised. For ``l2 > 0`` the best ``W``
    is unique, and so is ``b`` up to a constant added to all ten biases, which changes
    no probability; starting from zero, the biases found sum to zero.

    Each evaluation costs one product ``X @ W`` and one ``X.T @ (P - Y)`` in the dtype
    of ``X`` (float32 for :func:`mnistlin.to_features`); only the parameter vector
    handed to :func:`scipy.optimize.minimize` is float64, and ``X`` is never copied.
    L-BFGS works on centred features, ``X - mean(X)``, with the bias adjusted to match.
    This changes neither the scores nor the optimum (the bias is not penalised), but it
    makes the problem better conditioned: on MNIST it halves the iterations needed.

    The defaults suit MNIST pixels in [0, 1]: ``l2=1e-4`` is weak enough to keep the
    test accuracy at its best (92.6%; ``3e-4`` already costs 0.2 points), and L-BFGS
    then meets ``tol`` after about a hundred iterations from zero, so ``max_iter=500``
    leaves ample room.

    Parameters
    ----------
    X : array_like
        ``(n, d)`` features, e.g. ``mnistlin.to_features(images)``.
    y : array_like
        ``(n,)`` labels 0-9.
    l2 : float
        Strength of the L2 penalty on ``W`` (>= 0).
    max_iter : int
        Most L-BFGS iterations.
    tol : float
        Stop when an iteration lowers the objective by less than this fraction, or when
        no gradient entry exceeds it (L-BFGS-B's ``ftol`` and ``gtol``).

    Returns
    -------
    SoftmaxModel
        float32 ``W`` (d, 10) and ``b`` (10,), with ``n_iter``, ``converged``, ``l2``
        and the final objective ``loss``.

    Raises
    ------
    ValueError
        If ``X`` or ``y`` is malformed, their lengths differ, or a setting is invalid.
    """
    X = as_features(X)
    y = as_labels(y, len(X))
    warn_if_raw_pixels(X, "fit_softmax")
    l2 = _check_l2(l2)
    max_iter = _check_positive(max_iter, "max_iter", integer=True)
    tol = _check_positive(tol, "tol")
    d = X.shape[1]
    centre = X.mean(axis=0, dtype=np.float64)
    with scipy_blas_single_threaded():
        result = minimize(
            _objective(X, y, l2, centre),
            np.zeros(d * N_CLASSES + N_CLASSES),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": max_iter, "ftol": tol, "gtol": tol},
        )
    W = result.x[: d * N_CLASSES].reshape(d, N_CLASSES)
    b = result.x[d * N_CLASSES:] - centre @ W
    return SoftmaxModel(
        W=W.astype(np.float32),
        b=b.astype(np.float32),
        n_iter=int(result.nit),
        converged=bool(result.success),
        l2=l2,
        loss=float(result.fun),
    )


def fit_softmax_sgd(
    X,
    y,
    X_test=None,
    y_test=None,
    *,
    batch_size: int = 64,
    steps: int = 1000,
    learning_rate: float = 0.5,
    seed: int = 0,
    snapshot_every: int = 50,
    eval_size: int = 10_000,
) -> SGDRun:
    """Fit softmax regression with plain minibatch SGD from zero, recording every step.

    This is the basic recipe of chapter 2: start from all-zero weights, and at each step
    move ``W`` and ``b`` against the gradient of the mean cross-entropy of a minibatch of
    ``batch_size`` training digits, without any penalty. Minibatches are consecutive
    slices of a fresh seeded shuffle of the training set each epoch (the rows left over
    at the end of an epoch are skipped). With the defaults (batch 64, 1,000 steps, rate
    0.5) MNIST reaches 91-92% test accuracy.

    After every step (and before the first) the loss and accuracy are recorded on a
    fixed random subset of ``eval_size`` training digits, not on the whole training
    set, which would be slow, and on the whole test set when one is given. These rows
    are copied once into one matrix, and the weights of 50 consecutive steps are
    evaluated in a single product; on MNIST the whole run takes a few seconds.

    Parameters
    ----------
    X, y : array_like
        ``(n, d)`` training features and ``(n,)`` labels 0-9.
    X_test, y_test : array_like, optional
        A test set, evaluated after every step; give both or neither.
    batch_size : int
        Training digits per step.
    steps : int
        Number of updates.
    learning_rate : float
        Step size multiplying the minibatch gradient.
    seed : int
        Seed of the random choices: the minibatches, and separately the evaluation
        subset. The same seed gives identical results, and the same training run
        whatever the evaluation settings.
    snapshot_every : int
        Keep a copy of ``(W, b)`` every this many steps (and at steps 0 and ``steps``).
    eval_size : int
        Size of the training subset the training curves are computed on (at most ``n``).

    Returns
    -------
    SGDRun
        Final float32 ``W`` and ``b``, ``history`` with ``steps + 1`` entries per curve,
        and ``snapshots``.

    Raises
    ------
    ValueError
        If an array is malformed, lengths or widths disagree, only one of ``X_test`` and
        ``y_test`` is given, or a setting is not a positive number.
    """
    X = as_features(X)
    y = as_labels(y, len(X))
    warn_if_raw_pixels(X, "fit_softmax_sgd")
    n, d = X.shape
    if (X_test is None) != (y_test is None):
        raise ValueError("give both X_test and y_test, or neither")
    batch_size = _check_positive(batch_size, "batch_size", integer=True)
    steps = _check_positive(steps, "steps", integer=True)
    learning_rate = _check_positive(learning_rate, "learning_rate")
    snapshot_every = _check_positive(snapshot_every, "snapshot_every", integer=True)
    eval_size = _check_positive(eval_size, "eval_size", integer=True)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    if batch_size > n:
        raise ValueError(f"batch_size is {batch_size} but there are only {n} training rows")

    # Separate streams, so that the minibatches do not depend on the evaluation settings.
    rng, eval_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    dtype = X.dtype
    eval_rows = np.sort(eval_rng.choice(n, size=min(eval_size, n), replace=False))
    parts = [(X[eval_rows], y[eval_rows], "train")]
    if X_test is not None:
        X_test = as_features(X_test, "X_test")
        if X_test.shape[1] != d:
            raise ValueError(f"X_test has {X_test.shape[1]} columns, X has {d}")
        parts.append((X_test, as_labels(y_test, len(X_test), "y_test"), "test"))
    # One stacked matrix, so that evaluating both sets is a single matrix product. The
    # weights of _EVAL_BLOCK consecutive steps are kept side by side and evaluated
    # together: one wide product is several times faster than many narrow ones.
    X_eval = np.concatenate([p[0] for p in parts]).astype(dtype, copy=False)
    y_eval = np.concatenate([p[1] for p in parts])
    bounds = np.cumsum([0] + [len(p[1]) for p in parts])
    history = {"step": np.arange(steps + 1)}
    for _, _, name in parts:
        history[f"{name}_loss"] = np.empty(steps + 1)
        history[f"{name}_acc"] = np.empty(steps + 1)
    W_block = np.empty((d, _EVAL_BLOCK * N_CLASSES), dtype=dtype)
    b_block = np.empty((_EVAL_BLOCK, N_CLASSES), dtype=dtype)
    pending: list[int] = []

    def evaluate_pending() -> None:
        m = len(pending)
        Z = (X_eval @ W_block[:, : m * N_CLASSES]).reshape(len(y_eval), m, N_CLASSES)
        Z += b_block[:m]
        for i, (_, _, name) in enumerate(parts):
            loss, acc = _curves(Z[bounds[i]: bounds[i + 1]], y_eval[bounds[i]: bounds[i + 1]])
            history[f"{name}_loss"][pending] = loss
            history[f"{name}_acc"][pending] = acc
        pending.clear()

    W = np.zeros((d, N_CLASSES), dtype=dtype)
    b = np.zeros(N_CLASSES, dtype=dtype)
    snapshots = {}
    batch_rows = np.arange(batch_size)
    order, cursor = rng.permutation(n), 0
    rate = dtype.type(learning_rate / batch_size)

    def record(step: int) -> None:
        j = len(pending)
        W_block[:, j * N_CLASSES: (j + 1) * N_CLASSES] = W
        b_block[j] = b
        pending.append(step)
        if len(pending) == _EVAL_BLOCK or step == steps:
            evaluate_pending()
        if step % snapshot_every == 0 or step == steps:
            snapshots[step] = (W.copy(), b.copy())

    record(0)
    for step in range(1, steps + 1):
        if cursor + batch_size > n:
            order, cursor = rng.permutation(n), 0
        idx = order[cursor: cursor + batch_size]
        cursor += batch_size
        Xb = X[idx]
        P = Xb @ W + b
        P -= P.max(axis=1, keepdims=True)
        np.exp(P, out=P)
        P /= P.sum(axis=1, keepdims=True)
        if not np.isfinite(P).all():
            raise ValueError(f"SGD diverged at step {step}: the weights overflowed; "
                             f"use a learning_rate below {learning_rate}")
        P[batch_rows, y[idx]] -= 1
        W -= rate * (Xb.T @ P)
        b -= rate * P.sum(axis=0)
        record(step)
    return SGDRun(W=W.astype(np.float32), b=b.astype(np.float32), history=history,
                  snapshots=snapshots)
