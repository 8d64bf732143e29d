"""Input checks shared by the public functions.

Every public function of :mod:`mnistlin` checks its inputs here, so that a wrong shape,
dtype or label raises a :class:`ValueError` that says what was expected.
"""

from __future__ import annotations

import warnings

import numpy as np

N_CLASSES = 10


def as_features(X, name: str = "X") -> np.ndarray:
    """Return ``X`` as a finite 2-D float array (float32 unless it is float64).

    Parameters
    ----------
    X : array_like
        An ``(n, d)`` array of features.
    name : str
        The argument's name, used in error messages.

    Returns
    -------
    numpy.ndarray
        ``X`` itself when it is already float32 or float64, otherwise a float32 copy.

    Raises
    ------
    ValueError
        If ``X`` is not 2-D, is empty, is not numeric, or holds NaN or infinity.
    """
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_samples, n_features), got shape "
            f"{X.shape}; flatten images first with mnistlin.to_features(images)"
        )
    if X.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one row, got shape {X.shape}")
    if X.dtype == np.bool_:
        X = X.astype(np.float32)
    if not np.issubdtype(X.dtype, np.number) or np.iscomplexobj(X):
        raise ValueError(f"{name} must hold real numbers, got dtype {X.dtype}")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float32)
    if not np.isfinite(X).all():
        raise ValueError(f"{name} holds NaN or infinite values; expected finite numbers")
    return X


RAW_PIXEL_WARNING = 100  # features this large are raw 0-255 pixels, not scaled ones


def warn_if_raw_pixels(X: np.ndarray, func: str, name: str = "X") -> None:
    """Warn when ``X`` holds values of ``RAW_PIXEL_WARNING`` or more, like raw pixels.

    The fitting functions accept any finite features, but their defaults (penalty,
    learning rate, tolerances) are set for pixels scaled to [0, 1]; on raw 0-255 pixels
    they end with a worse model, without any error.
    """
    top = max(float(X.max()), -float(X.min()))  # no copy of X, unlike np.abs(X)
    if top >= RAW_PIXEL_WARNING:
        warnings.warn(
            f"{name} holds values up to {top:g}, but {func}'s defaults suit features in "
            f"[0, 1]; with features this large (raw 0-255 pixels, say) the fit ends "
            f"worse. For pixels, use mnistlin.to_features(images), which divides by 255.",
            UserWarning, stacklevel=3,
        )


def as_labels(y, n: int | None = None, name: str = "y") -> np.ndarray:
    """Return ``y`` as a 1-D int64 array of digit labels 0-9.

    Parameters
    ----------
    y : array_like
        Labels, one per sample.
    n : int, optional
        The number of samples the labels must match.
    name : str
        The argument's name, used in error messages.

    Raises
    ------
    ValueError
        If ``y`` is not 1-D, not integer-valued, outside 0-9, or of the wrong length.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of labels, got shape {y.shape}")
    if y.dtype.kind == "f":
        if not np.isfinite(y).all() or not np.all(y == np.round(y)):
            raise ValueError(f"{name} must hold whole numbers 0-9, got non-integer values")
    elif y.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integer labels 0-9, got dtype {y.dtype}")
    if n is not None and y.shape[0] != n:
        raise ValueError(f"{name} has {y.shape[0]} labels but there are {n} samples")
    if y.size and (y.min() < 0 or y.max() >= N_CLASSES):
        raise ValueError(
            f"{name} must hold labels 0-{N_CLASSES - 1}, got values from {y.min()} to {y.max()}"
        )
    return y.astype(np.int64)


def as_images(images, name: str = "images") -> np.ndarray:
    """Return ``images`` as an ``(n, 28, 28)`` array, checking shape and values.

    Raises
    ------
    ValueError
        If the array is not ``(n, 28, 28)`` (or a single ``(28, 28)`` image), or holds
        NaN or infinity.
    """
    images = np.asarray(images)
    if images.shape == (28, 28):
        images = images[None]
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(
            f"{name} must have shape (n, 28, 28), got {images.shape}; "
            "use images.reshape(-1, 28, 28) for flattened digits"
        )
    if images.dtype.kind == "f" and not np.isfinite(images).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    if images.dtype.kind not in "uifb":
        raise ValueError(f"{name} must hold numbers, got dtype {images.dtype}")
    return images


def check_digit(k, name: str = "digit") -> int:
    """Return ``k`` as an int after checking that it is a digit 0-9."""
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise ValueError(f"{name} must be an integer 0-9, got {k!r}")
    if not 0 <= k < N_CLASSES:
        raise ValueError(f"{name} must be 0-9, got {k}")
    return int(k)


def check_weights(W, d: int | None = None, name: str = "W") -> np.ndarray:
    """Check a ``(d, 10)`` weight matrix and return it as a float array."""
    W = as_features(W, name)
    if W.shape[1] != N_CLASSES:
        raise ValueError(f"{name} must have shape (n_features, 10), got {W.shape}")
    if d is not None and W.shape[0] != d:
        raise ValueError(f"{name} has {W.shape[0]} rows but the features have {d} columns")
    return W
