"""Least squares onto one-hot targets: the closed-form linear classifier of chapter 3.

Each digit gets a target vector with a 1 in its own place and 0 elsewhere, and the weights
are chosen so that the ten scores ``X @ W + b`` come as close to these targets as possible
in squared error. Everything the fit needs from the training images fits in a few small
tables (:class:`NormalEquations`): the ``d x d`` matrix ``X.T @ X`` of pixel co-occurrences,
the pixel sums, and the pixel sums per digit. They are computed once, in one pass over the
images, and every variant of chapter 3 (with or without a bias, with a penalty, gradient
descent stopped early) is solved from them in a fraction of a second.

Known limitation: the normal equations square the condition number of ``X``. The tables are
accumulated in float64, so this costs nothing on MNIST, but a design whose columns are
nearly (not exactly) collinear at the level of float32 rounding is solved less accurately
than an SVD of ``X`` itself would solve it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import N_CLASSES, as_features, as_labels

_CHUNK = 8192  # rows per block when accumulating X.T @ X


@dataclass(frozen=True)
class LinearModel:
    """A linear classifier: digit ``k`` scores ``x @ W[:, k] + b[k]``.

    Attributes
    ----------
    W : numpy.ndarray
        ``(d, 10)`` float32 weights, one column (one pattern) per digit.
    b : numpy.ndarray
        ``(10,)`` float32 biases.
    """

    W: np.ndarray
    b: np.ndarray


@dataclass(frozen=True)
class NormalEquations:
    """What least squares needs from a training set, in float64.

    Attributes
    ----------
    gram : numpy.ndarray
        ``(d, d)`` matrix ``X.T @ X``. For 0/1 pixels, entry ``(i, j)`` counts the images
        inked at both pixels.
    sums : numpy.ndarray
        ``(d,)`` column sums ``X.T @ 1``.
    cross : numpy.ndarray
        ``(d, 10)`` matrix ``X.T @ Y`` for the one-hot targets ``Y``: column ``k`` sums the
        images of digit ``k``.
    counts : numpy.ndarray
        ``(10,)`` number of training images of each digit.
    n : int
        Number of training images.
    """

    gram: np.ndarray
    sums: np.ndarray
    cross: np.ndarray
    counts: np.ndarray
    n: int


def one_hot(y) -> np.ndarray:
    """Return the ``(n, 10)`` float32 one-hot targets of digit labels (chapter 3).

    Parameters
    ----------
    y : array_like
        ``(n,)`` labels 0-9.

    Returns
    -------
    numpy.ndarray
        Row ``i`` holds 1 in column ``y[i]`` and 0 elsewhere.

    Raises
    ------
    ValueError
        If ``y`` is not a 1-D array of labels 0-9.

    Examples
    --------
    >>> one_hot([2, 0])[:, :3]
    array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
    """
    y = as_labels(y)
    out = np.zeros((len(y), N_CLASSES), dtype=np.float32)
    out[np.arange(len(y)), y] = 1
    return out


def binarize(X, threshold: float = 0.5) -> np.ndarray:
    """Turn features in [0, 1] into 0/1 ink: 1 where a pixel is above ``threshold``.

    Chapter 3 fits least squares on these binary pixels, so that the dot product of two
    images counts the pixels inked in both (:func:`shared_area`).

    Parameters
    ----------
    X : array_like
        Features in [0, 1], such as the output of :func:`mnistlin.to_features`.
    threshold : float
        A pixel counts as ink when its value is strictly greater than this, so
        ``threshold=0`` keeps every pixel with any ink at all. Must be in [0, 1).

    Returns
    -------
    numpy.ndarray
        float32 array of the same shape as ``X``, holding only 0 and 1.

    Raises
    ------
    ValueError
        If ``X`` is not a finite 2-D array with values in [0, 1] (raw 0-255 pixels are
        refused), or ``threshold`` is not a number in [0, 1).
    """
    X = as_features(X)
    if X.min() < 0 or X.max() > 1:
        raise ValueError(
            f"X must hold features in [0, 1], got values from {X.min()} to {X.max()}; "
            "scale raw pixels with mnistlin.to_features(images)"
        )
    if isinstance(threshold, (bool, np.bool_)) or not isinstance(
        threshold, (int, float, np.integer, np.floating)
    ):
        raise ValueError(f"threshold must be a number in [0, 1), got {threshold!r}")
    if not 0 <= threshold < 1:
        raise ValueError(f"threshold must be in [0, 1), got {threshold}")
    return (X > threshold).astype(np.float32)


def shared_area(a, b) -> int:
    """Count the pixels inked in both of two binary images: their dot product (chapter 3).

    Parameters
    ----------
    a, b : array_like
        Two images of the same shape (for example ``(28, 28)`` or ``(784,)``) holding only
        0 and 1.

    Returns
    -------
    int
        ``sum(a * b)``: the area the two digits have in common. ``shared_area(a, a)`` is
        the area of ``a``.

    Raises
    ------
    ValueError
        If the shapes differ or a value is not 0 or 1.

    Examples
    --------
    >>> shared_area([[1, 1, 0]], [[0, 1, 1]])
    1
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.size == 0:
        raise ValueError(f"a and b must be images of the same shape, got {a.shape} and {b.shape}")
    flat = []
    for name, image in (("a", a), ("b", b)):
        image = as_features(image.reshape(1, -1), name)[0]
        if not np.all((image == 0) | (image == 1)):
            raise ValueError(f"{name} must be a binary image of 0 and 1; use binarize() first")
        flat.append(image.astype(np.int64))
    return int(flat[0] @ flat[1])


def normal_equations(X, y) -> NormalEquations:
    """Collect ``X.T @ X``, ``X.T @ Y`` and the sums in one pass over the images (chapter 3).

    The products are taken in the dtype of ``X`` (float32 for MNIST features), block by
    block, and accumulated in float64; no float64 copy of ``X`` is made. For 0/1 pixels
    every entry is an exact count.

    Parameters
    ----------
    X : array_like
        ``(n, d)`` features.
    y : array_like
        ``(n,)`` labels 0-9.

    Returns
    -------
    NormalEquations

    Raises
    ------
    ValueError
        If ``X`` is not a finite 2-D array or ``y`` does not hold one label 0-9 per row.
    """
    X = as_features(X)
    y = as_labels(y, len(X))
    n, d = X.shape
    gram = np.zeros((d, d))
    cross = np.zeros((d, N_CLASSES))
    sums = np.zeros(d)
    for start in range(0, n, _CHUNK):
        block = X[start:start + _CHUNK]
        targets = one_hot(y[start:start + _CHUNK]).astype(X.dtype, copy=False)
        gram += block.T @ block
        cross += block.T @ targets
        sums += block.sum(axis=0, dtype=np.float64)
    counts = np.bincount(y, minlength=N_CLASSES).astype(np.float64)
    return NormalEquations(gram=gram, sums=sums, cross=cross, counts=counts, n=n)


def _check_equations(eq) -> NormalEquations:
    if not isinstance(eq, NormalEquations):
        raise ValueError(
            f"expected the NormalEquations returned by normal_equations(X, y), got {type(eq)}"
        )
    return eq


def _check_l2(l2) -> float:
    if isinstance(l2, (bool, np.bool_)) or not isinstance(
        l2, (int, float, np.integer, np.floating)
    ):
        raise ValueError(f"l2 must be a number >= 0, got {l2!r}")
    if not np.isfinite(l2) or l2 < 0:
        raise ValueError(f"l2 must be a finite number >= 0, got {l2}")
    return float(l2)


def _check_bias_flag(bias) -> bool:
    if not isinstance(bias, (bool, np.bool_)):
        raise ValueError(f"bias must be True or False, got {bias!r}")
    return bool(bias)


def solve_normal_equations(eq: NormalEquations, bias: bool = True,
                           l2: float = 0.0) -> LinearModel:
    """Solve least squares from the tables of :func:`normal_equations` (chapter 3).

    The weights minimise ``||X @ W + b - Y||**2 / (2 n) + (l2 / 2) * ||W||**2`` for the
    one-hot targets ``Y``; the bias is not penalised. With ``bias``, the bias absorbs the
    means: the features and targets are centred, ``W`` is solved on the centred problem,
    and ``b = mean(Y) - mean(X) @ W``.

    With ``l2 = 0`` and a singular ``X.T @ X`` (MNIST has blank border pixels, and two
    pixels inked only in the same single image are exactly collinear), the solution of
    smallest ``||W||`` is returned: the pseudo-inverse, through an eigendecomposition with
    directions below ``d * eps * largest eigenvalue`` treated as zero. Features that are
    always zero (or, with ``bias``, never change) get weight exactly zero. This is the
    solution ``numpy.linalg.lstsq`` gives on the centred data; scikit-learn's
    ``LinearRegression`` solves the same problem.

    Parameters
    ----------
    eq : NormalEquations
        Output of :func:`normal_equations`.
    bias : bool
        Fit a bias per digit (default) or force ``b = 0``.
    l2 : float
        Ridge penalty on the weights, ``>= 0``.

    Returns
    -------
    LinearModel
        float32 ``W`` of shape ``(d, 10)`` and ``b`` of shape ``(10,)``.

    Raises
    ------
    ValueError
        If ``eq`` is not a :class:`NormalEquations`, ``bias`` is not a bool, or ``l2`` is
        negative or not finite.
    """
    eq = _check_equations(eq)
    bias = _check_bias_flag(bias)
    l2 = _check_l2(l2)
    gram, cross = eq.gram, eq.cross
    if bias:
        mean_x, mean_y = eq.sums / eq.n, eq.counts / eq.n
        gram = gram - eq.n * np.outer(mean_x, mean_x)
        cross = cross - eq.n * np.outer(mean_x, mean_y)
    active = np.flatnonzero(np.diag(gram) > 0)
    W = np.zeros_like(cross)
    if active.size:
        block = gram[np.ix_(active, active)]
        if l2 > 0:  # positive definite: a plain solve is enough
            W[active] = np.linalg.solve(block + eq.n * l2 * np.eye(active.size), cross[active])
        else:
            lam, V = np.linalg.eigh(block)
            tol = active.size * np.finfo(np.float64).eps * max(lam.max(), 0)
            keep = lam > tol
            inverse = np.where(keep, 1 / np.where(keep, lam, 1), 0)
            W[active] = V @ (inverse[:, None] * (V.T @ cross[active]))
    b = mean_y - mean_x @ W if bias else np.zeros(N_CLASSES)
    return LinearModel(W=W.astype(np.float32), b=b.astype(np.float32))


def fit_least_squares(X, y, bias: bool = True, l2: float = 0.0) -> LinearModel:
    """Fit the scores ``X @ W + b`` to one-hot targets by least squares (chapter 3).

    Closed form: one pass over the images builds ``X.T @ X`` (see
    :func:`normal_equations`), then :func:`solve_normal_equations` solves the small
    ``d x d`` system, returning the minimum-norm solution when it is singular.

    Parameters
    ----------
    X : array_like
        ``(n, d)`` features, for example binary pixels from :func:`binarize`.
    y : array_like
        ``(n,)`` labels 0-9.
    bias : bool
        Fit a bias per digit (default) or force ``b = 0``.
    l2 : float
        Ridge penalty ``(l2 / 2) * ||W||**2`` added to the mean squared error / 2.

    Returns
    -------
    LinearModel

    Raises
    ------
    ValueError
        On a bad ``X`` or ``y``, mismatched lengths, a non-bool ``bias`` or a negative
        ``l2``.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [0.0], [1.0]])
    >>> model = fit_least_squares(X, [0, 1, 0, 1])
    >>> np.round(X @ model.W + model.b, 6)[:2]
    array([[1., 0., 0., 0., 0., 0., 0., 0., 0., 0.],
           [0., 1., 0., 0., 0., 0., 0., 0., 0., 0.]])
    """
    bias = _check_bias_flag(bias)
    l2 = _check_l2(l2)
    return solve_normal_equations(normal_equations(X, y), bias=bias, l2=l2)


def gradient_descent(eq: NormalEquations, steps, bias: bool = True) -> dict[int, LinearModel]:
    """Models after ``t`` steps of full-batch gradient descent on the squared error (chapter 3).

    Gradient descent starts at ``W = 0, b = 0`` and takes steps of size ``1 / L`` on
    ``||X @ W + b - Y||**2 / (2 n)``, where ``L`` is the largest eigenvalue of its Hessian
    ``[X, 1].T @ [X, 1] / n`` (``X.T @ X / n`` without bias). Along an eigenvector with
    eigenvalue ``lam`` the error shrinks by ``1 - lam / L`` per step, so the iterate after
    ``t`` steps is computed directly in the eigenbasis, exactly as the loop would give it,
    at the cost of one eigendecomposition. Stopping early leaves the directions of small
    ``lam`` (rare pixels, fine detail) unfitted; as ``t`` grows the iterates approach the
    minimum-norm least-squares solution.

    Parameters
    ----------
    eq : NormalEquations
        Output of :func:`normal_equations`.
    steps : iterable of int
        The step counts to return, each ``>= 0``.
    bias : bool
        Descend on a bias as well (default) or keep ``b = 0``.

    Returns
    -------
    dict of int to LinearModel
        One model per requested step count.

    Raises
    ------
    ValueError
        If ``eq`` is not a :class:`NormalEquations`, a step count is not a whole number
        ``>= 0``, or ``bias`` is not a bool.
    """
    eq = _check_equations(eq)
    bias = _check_bias_flag(bias)
    steps = [steps] if np.ndim(steps) == 0 else list(steps)
    for t in steps:
        if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)) or t < 0:
            raise ValueError(f"steps must be whole numbers >= 0, got {t!r}")
    d = eq.gram.shape[0]
    if bias:
        hessian = np.empty((d + 1, d + 1))
        hessian[:d, :d], hessian[:d, d], hessian[d, :d] = eq.gram, eq.sums, eq.sums
        hessian[d, d] = eq.n
        rhs = np.vstack([eq.cross, eq.counts[None]])
    else:
        hessian, rhs = eq.gram, eq.cross
    lam, V = np.linalg.eigh(hessian / eq.n)
    lam = np.maximum(lam, 0)
    projected = V.T @ (rhs / eq.n)
    largest = lam.max() if lam.max() > 0 else 1.0
    models = {}
    for t in steps:
        # sum of the first t terms of the geometric series (1 - lam / L)**k, times 1 / L
        safe = np.where(lam > 0, lam, 1)
        gain = np.where(lam > 0, (1 - (1 - lam / largest) ** int(t)) / safe, 0)
        theta = V @ (gain[:, None] * projected)
        b = theta[d] if bias else np.zeros(N_CLASSES)
        models[int(t)] = LinearModel(W=theta[:d].astype(np.float32), b=b.astype(np.float32))
    return models
