"""What every linear classifier in the book shares: scores, predictions, evidence.

A linear classifier gives digit ``k`` the score ``x @ W[:, k] + b[k]`` and predicts the
digit with the highest score. The models of the later modules differ only in how they
choose ``W`` and ``b``.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_features, as_labels, check_digit, check_weights


def _check_bias(b, name: str = "b") -> np.ndarray:
    if b is None:
        return np.zeros(10, dtype=np.float32)
    b = np.asarray(b)
    if b.shape != (10,) or b.dtype.kind not in "fiu" or not np.isfinite(b).all():
        raise ValueError(f"{name} must be 10 finite numbers, one per digit, got shape {b.shape}")
    return b


def scores(X, W, b=None) -> np.ndarray:
    """Return the ``(n, 10)`` class scores ``X @ W + b``.

    Parameters
    ----------
    X : array_like
        ``(n, d)`` features.
    W : array_like
        ``(d, 10)`` weights.
    b : array_like, optional
        ``(10,)`` biases; zero when omitted.
    """
    X = as_features(X)
    W = check_weights(W, d=X.shape[1])
    b = _check_bias(b)
    return X @ W.astype(X.dtype, copy=False) + b.astype(X.dtype, copy=False)


def predict(X, W, b=None) -> np.ndarray:
    """Return the digit with the highest score for each row of ``X``."""
    return scores(X, W, b).argmax(axis=1)


def accuracy(y_true, y_pred) -> float:
    """Return the fraction of predictions that equal the true labels."""
    y_true = as_labels(y_true, name="y_true")
    y_pred = as_labels(y_pred, len(y_true), "y_pred")
    return float(np.mean(y_true == y_pred))


def evidence_map(x, W, digit: int, versus: int | None = None) -> np.ndarray:
    """Return the per-pixel evidence for ``digit`` (against ``versus``) in one image.

    The score of a digit is a sum over pixels of pixel value times weight; this returns
    the terms of that sum as a 28x28 image. With ``versus``, it returns the terms of the
    score difference ``x @ (W[:, digit] - W[:, versus])``: positive pixels argue for
    ``digit``, negative ones for ``versus``.

    Parameters
    ----------
    x : array_like
        One image as 784 features (or a 28x28 array).
    W : array_like
        ``(784, 10)`` weights.
    digit : int
        The digit whose evidence is shown.
    versus : int, optional
        A rival digit.

    Returns
    -------
    numpy.ndarray
        ``(28, 28)`` float array whose sum is the score (difference) without the bias.
    """
    x = np.asarray(x)
    x = as_features(x.reshape(1, -1), "x")[0]
    if x.shape != (784,):
        raise ValueError(f"x must hold 784 pixels, got {x.shape[0]}")
    W = check_weights(W, d=784)
    w = W[:, check_digit(digit)]
    if versus is not None:
        w = w - W[:, check_digit(versus, "versus")]
    return (x * w).reshape(28, 28)
