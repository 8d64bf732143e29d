"""Templates: linear classifiers whose weights are averages of the training digits.

A template is a ``(784, 10)`` matrix laid out like the weights ``W`` of
:mod:`mnistlin.linear`: column ``k`` is an image that stands for digit ``k``, and a digit is
scored by its dot product with each column. Chapter 4 ("Class-mean templates") uses the
plain class means, a centering offset and the nearest centroid; chapter 5 ("Contrast
templates") subtracts the mean of the other classes and compares the result with the
softmax weights.

Class sums are accumulated in float64 one class at a time, so no float64 copy of the
training matrix is ever made; the largest temporary is the float32 rows of one class.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._checks import N_CLASSES, as_features, as_labels, check_weights

_CHUNK_ROWS = 8192  # rows per block when distances are computed in float64


def _class_sums(X, y) -> tuple[np.ndarray, np.ndarray]:
    """Return the float64 ``(d, 10)`` pixel sums per class and the ``(10,)`` counts."""
    X = as_features(X)
    y = as_labels(y, X.shape[0])
    counts = np.bincount(y, minlength=N_CLASSES)
    missing = np.flatnonzero(counts == 0)
    if missing.size:
        raise ValueError(
            f"y has no sample of digit(s) {missing.tolist()}; every digit 0-9 needs at "
            "least one sample"
        )
    sums = np.empty((X.shape[1], N_CLASSES), dtype=np.float64)
    for k in range(N_CLASSES):
        sums[:, k] = X[y == k].sum(axis=0, dtype=np.float64)
    return sums, counts


def _check_offset(offset, d: int) -> np.ndarray | float:
    if isinstance(offset, numbers.Real) and not isinstance(offset, bool):
        if not np.isfinite(offset):
            raise ValueError(f"offset must be a finite number, got {offset!r}")
        return float(offset)
    offset = np.asarray(offset)
    if offset.shape != (d,) or offset.dtype.kind not in "fiu" or not np.isfinite(offset).all():
        raise ValueError(
            f"offset must be a finite number or {d} finite numbers (one per pixel), "
            f"got shape {offset.shape}"
        )
    return offset


def class_means(X, y) -> np.ndarray:
    """Return the mean image of each digit, one column per digit (chapter 4).

    Parameters
    ----------
    X : array_like
        ``(n, d)`` features, for MNIST the output of :func:`mnistlin.to_features`.
    y : array_like
        ``(n,)`` labels 0-9; every digit must occur at least once.

    Returns
    -------
    numpy.ndarray
        ``(d, 10)`` float32 array whose column ``k`` is the mean of the rows labelled ``k``.

    Raises
    ------
    ValueError
        If ``X`` or ``y`` is malformed, their lengths differ, or a digit has no sample.
    """
    sums, counts = _class_sums(X, y)
    return (sums / counts).astype(np.float32)


def out_of_class_means(X, y) -> np.ndarray:
    """Return, for each digit, the mean image of all the *other* digits (chapter 5).

    Column ``k`` averages every row whose label is not ``k``, so each other digit counts
    in proportion to how often it occurs (it is not the mean of the nine class means).

    Parameters
    ----------
    X : array_like
        ``(n, d)`` features.
    y : array_like
        ``(n,)`` labels 0-9; every digit must occur at least once and no digit may make
        up all of ``y``.

    Returns
    -------
    numpy.ndarray
        ``(d, 10)`` float32 array.

    Raises
    ------
    ValueError
        If the inputs are malformed or a digit has no sample.
    """
    sums, counts = _class_sums(X, y)
    total = sums.sum(axis=1, keepdims=True)
    return ((total - sums) / (counts.sum() - counts)).astype(np.float32)


def contrast_templates(X, y, out_weight: float = 1.0) -> np.ndarray:
    """Return class means minus ``out_weight`` times the out-of-class means (chapter 5).

    Parameters
    ----------
    X : array_like
        ``(n, d)`` features.
    y : array_like
        ``(n,)`` labels 0-9, every digit present.
    out_weight : float
        How strongly the mean of the other digits is subtracted; 0 gives the plain class
        means of :func:`class_means`, 1 the difference of the two means.

    Returns
    -------
    numpy.ndarray
        ``(d, 10)`` float32 templates.

    Raises
    ------
    ValueError
        If the inputs are malformed or ``out_weight`` is not a finite number.
    """
    if (
        not isinstance(out_weight, numbers.Real)
        or isinstance(out_weight, bool)
        or not np.isfinite(out_weight)
    ):
        raise ValueError(f"out_weight must be a finite number, got {out_weight!r}")
    sums, counts = _class_sums(X, y)
    inside = sums / counts
    outside = (sums.sum(axis=1, keepdims=True) - sums) / (counts.sum() - counts)
    return (inside - out_weight * outside).astype(np.float32)


def template_scores(X, T, offset=0.0) -> np.ndarray:
    """Return the ``(n, 10)`` scores ``(x - offset) @ T`` of each row against each template.

    Subtracting ``offset`` from every pixel lowers the score of template ``k`` by
    ``offset * T[:, k].sum()``: the more ink a template holds, the more it is penalised,
    which is why the offset changes the predictions (chapter 4). The scores are computed
    as ``X @ T - offset @ T``, without a shifted copy of ``X``.

    Parameters
    ----------
    X : array_like
        ``(n, d)`` features.
    T : array_like
        ``(d, 10)`` templates, one column per digit.
    offset : float or array_like
        A number subtracted from every pixel, or ``(d,)`` numbers, one per pixel.

    Returns
    -------
    numpy.ndarray
        ``(n, 10)`` scores in the dtype of ``X`` (float32 for MNIST features).

    Raises
    ------
    ValueError
        If the shapes do not match or a value is NaN or infinite.
    """
    X = as_features(X)
    T = check_weights(T, d=X.shape[1], name="T").astype(X.dtype, copy=False)
    offset = _check_offset(offset, X.shape[1])
    shift = offset * T.sum(axis=0) if isinstance(offset, float) else offset @ T
    return X @ T - shift.astype(X.dtype)


def predict_templates(X, T, offset=0.0) -> np.ndarray:
    """Return the digit whose template gives the highest score in :func:`template_scores`."""
    return template_scores(X, T, offset).argmax(axis=1)


def offset_sweep(X, y, means, offsets) -> np.ndarray:
    """Return the accuracy of :func:`predict_templates` for each offset (chapter 4).

    ``X @ means`` is computed once; each offset then only subtracts
    ``offset * means.sum(axis=0)`` from the scores, so a long sweep costs little more
    than one prediction.

    Parameters
    ----------
    X : array_like
        ``(n, d)`` features.
    y : array_like
        ``(n,)`` true labels.
    means : array_like
        ``(d, 10)`` templates, usually from :func:`class_means`.
    offsets : array_like
        1-D sequence of numbers subtracted from every pixel.

    Returns
    -------
    numpy.ndarray
        float64 accuracies, one per offset, each in [0, 1].

    Raises
    ------
    ValueError
        If the inputs are malformed or ``offsets`` is not a 1-D sequence of finite numbers.
    """
    X = as_features(X)
    y = as_labels(y, X.shape[0])
    means = check_weights(means, d=X.shape[1], name="means").astype(X.dtype, copy=False)
    offsets = np.asarray(offsets)
    if offsets.ndim != 1 or offsets.dtype.kind not in "fiu" or not np.isfinite(offsets).all():
        raise ValueError(
            f"offsets must be a 1-D sequence of finite numbers, got shape {offsets.shape}"
        )
    raw = X @ means
    ink = means.sum(axis=0)
    accuracies = np.empty(offsets.size)
    for i, c in enumerate(offsets):
        predicted = (raw - (float(c) * ink).astype(X.dtype)).argmax(axis=1)
        accuracies[i] = np.mean(predicted == y)
    return accuracies


def nearest_centroid(X, means) -> np.ndarray:
    """Return, for each row, the digit whose mean image is closest in Euclidean distance.

    Since ``|x - m|^2 = |x|^2 - 2 x @ m + |m|^2`` and ``|x|^2`` is the same for every
    digit, this is template matching with the bias ``-|m|^2 / 2`` (chapter 4). The
    distances are computed in float64, a block of rows at a time, and ties go to the lower
    digit, as in scikit-learn's ``NearestCentroid``.

    Parameters
    ----------
    X : array_like
        ``(n, d)`` features.
    means : array_like
        ``(d, 10)`` centroids, one column per digit.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` int64 predicted digits.

    Raises
    ------
    ValueError
        If the shapes do not match or a value is NaN or infinite.
    """
    X = as_features(X)
    means = check_weights(means, d=X.shape[1], name="means").astype(np.float64)
    half_norms = 0.5 * np.einsum("dk,dk->k", means, means)
    predicted = np.empty(X.shape[0], dtype=np.int64)
    for start in range(0, X.shape[0], _CHUNK_ROWS):
        block = X[start:start + _CHUNK_ROWS].astype(np.float64)
        predicted[start:start + _CHUNK_ROWS] = (half_norms - block @ means).argmin(axis=1)
    return predicted


def weight_correlation(A, B) -> np.ndarray:
    """Return the Pearson correlation of each column of ``A`` with the same column of ``B``.

    Used in chapter 5 to say how closely a template resembles a learned weight image.

    Parameters
    ----------
    A, B : array_like
        ``(d, 10)`` weight or template matrices of the same shape.

    Returns
    -------
    numpy.ndarray
        ``(10,)`` float64 correlations in [-1, 1].

    Raises
    ------
    ValueError
        If the shapes differ, a value is not finite, or a column is constant (its
        correlation is undefined).
    """
    A = check_weights(A, name="A").astype(np.float64)
    B = check_weights(B, name="B").astype(np.float64)
    if A.shape != B.shape:
        raise ValueError(f"A and B must have the same shape, got {A.shape} and {B.shape}")
    A = A - A.mean(axis=0)
    B = B - B.mean(axis=0)
    norms_a = np.linalg.norm(A, axis=0)
    norms_b = np.linalg.norm(B, axis=0)
    constant = np.flatnonzero((norms_a == 0) | (norms_b == 0))
    if constant.size:
        raise ValueError(
            f"column(s) {constant.tolist()} are constant; their correlation is undefined"
        )
    return np.clip((A * B).sum(axis=0) / (norms_a * norms_b), -1.0, 1.0)
