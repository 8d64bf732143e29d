"""Moving and scrambling pixels, to see what a linear model relies on (chapter 7)."""

from __future__ import annotations

import numpy as np

from ._checks import as_images

__all__ = ["centre_of_mass", "permute_pixels", "shift_images"]


def shift_images(images, dy: int = 0, dx: int = 0) -> np.ndarray:
    """Move every image ``dy`` pixels down and ``dx`` pixels right, filling with zeros.

    Ink pushed past the border is lost, not wrapped round to the other side.

    Parameters
    ----------
    images : array_like
        ``(n, 28, 28)`` images of any numeric dtype.
    dy, dx : int
        Shift in pixels; negative values move up or left. At most 27 in size.

    Returns
    -------
    numpy.ndarray
        New images of the same shape and dtype.

    Raises
    ------
    ValueError
        If the images are not ``(n, 28, 28)`` or a shift is not a whole number below 28.
    """
    images = as_images(images)
    for name, value in (("dy", dy), ("dx", dx)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must be a whole number of pixels, got {value!r}")
        if abs(value) >= 28:
            raise ValueError(f"{name} must be between -27 and 27, got {value}")
    out = np.zeros_like(images)
    rows_to = slice(max(dy, 0), 28 + min(dy, 0))
    rows_from = slice(max(-dy, 0), 28 + min(-dy, 0))
    cols_to = slice(max(dx, 0), 28 + min(dx, 0))
    cols_from = slice(max(-dx, 0), 28 + min(-dx, 0))
    out[:, rows_to, cols_to] = images[:, rows_from, cols_from]
    return out


def permute_pixels(X, permutation) -> np.ndarray:
    """Reorder the columns (pixels) of every row of ``X`` by one fixed permutation.

    Parameters
    ----------
    X : array_like
        ``(n, d)`` features.
    permutation : array_like
        A permutation of ``0 .. d-1``, e.g. ``numpy.random.default_rng(0).permutation(d)``.

    Returns
    -------
    numpy.ndarray
        ``X[:, permutation]``: the same pixels of each digit, in a new order.

    Raises
    ------
    ValueError
        If ``X`` is not 2-D or ``permutation`` is not a permutation of its columns.
    """
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    permutation = np.asarray(permutation)
    d = X.shape[1]
    if (permutation.shape != (d,) or permutation.dtype.kind not in "iu"
            or not np.array_equal(np.sort(permutation), np.arange(d))):
        raise ValueError(f"permutation must hold each of 0..{d - 1} exactly once")
    return X[:, permutation]


def centre_of_mass(images) -> np.ndarray:
    """Return the ink-weighted centre ``(row, column)`` of each image.

    Parameters
    ----------
    images : array_like
        ``(n, 28, 28)`` images with non-negative pixel values.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` float array of row and column coordinates (0 is the top or left edge
        pixel, 13.5 the middle); NaN for an image with no ink.

    Raises
    ------
    ValueError
        If the images are not ``(n, 28, 28)`` or hold negative values.
    """
    images = as_images(images)
    if images.dtype.kind in "fi" and images.min() < 0:
        raise ValueError("images must have non-negative pixel values (ink)")
    mass = images.sum(axis=(1, 2), dtype=np.float64)
    coords = np.arange(28, dtype=np.float64)
    rows = images.sum(axis=2, dtype=np.float64) @ coords
    cols = images.sum(axis=1, dtype=np.float64) @ coords
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.stack([rows / mass, cols / mass], axis=1)
