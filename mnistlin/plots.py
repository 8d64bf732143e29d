"""Figures used throughout the book.

Every helper draws one new figure, returns it, and leaves showing it to the notebook, so
a figure appears once. Plot defaults live here (:func:`use_book_style`), not in the
notebooks.
"""

from __future__ import annotations

import matplotlib

import matplotlib.pyplot as plt
import numpy as np

from ._checks import as_labels, check_weights

BOOK_STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.figsize": (6.4, 3.6),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": "medium",
    "font.size": 10,
    "image.interpolation": "nearest",
}


def use_book_style() -> None:
    """Apply the book's plot defaults (called once by each chapter's imports cell)."""
    matplotlib.rcParams.update(BOOK_STYLE)


def _symmetric_limit(values) -> float:
    limit = float(np.max(np.abs(values)))
    return limit if limit > 0 else 1.0


def weight_images(W, cmap: str = "diverging", titles=None, scale: str = "each"):
    """Draw the ten columns of a ``(784, 10)`` weight matrix as 28x28 images in a 2x5 grid.

    Parameters
    ----------
    W : array_like
        Weights of shape ``(784, 10)``, one column per digit (a bias row, if any, is
        removed beforehand).
    cmap : {"diverging", "gray"}
        ``"diverging"``: red for positive, blue for negative, white at zero, centred on
        zero. ``"gray"``: dark for negative, light for positive, which makes the digit
        shapes stand out.
    titles : sequence of str, optional
        A title per image; defaults to the digits 0-9.
    scale : {"each", "shared"}
        One colour scale per image (each image uses its full range) or one for all.

    Returns
    -------
    matplotlib.figure.Figure
    """
    W = check_weights(W, d=784)
    if cmap not in ("diverging", "gray"):
        raise ValueError(f"cmap must be 'diverging' or 'gray', got {cmap!r}")
    if scale not in ("each", "shared"):
        raise ValueError(f"scale must be 'each' or 'shared', got {scale!r}")
    titles = list(range(10)) if titles is None else list(titles)
    if len(titles) != 10:
        raise ValueError(f"titles must have 10 entries, got {len(titles)}")
    colormap = "RdBu_r" if cmap == "diverging" else "gray"
    shared = _symmetric_limit(W)
    fig, axes = plt.subplots(2, 5, figsize=(7.5, 3.4))
    for k, ax in enumerate(axes.flat):
        limit = shared if scale == "shared" else _symmetric_limit(W[:, k])
        image = ax.imshow(W[:, k].reshape(28, 28), cmap=colormap, vmin=-limit, vmax=limit)
        ax.set_title(str(titles[k]))
        ax.set_axis_off()
    if scale == "shared":
        fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8)
    return fig


def digit_grid(images, labels=None, ncols: int = 10, cmap: str = "gray_r", titles=None):
    """Draw images in a grid, optionally titled with their labels.

    Parameters
    ----------
    images : array_like
        ``(n, 28, 28)`` images or ``(n, 784)`` rows.
    labels : array_like, optional
        A label per image, used as titles unless ``titles`` is given.
    ncols : int
        Images per row.
    cmap : str
        Colour map; the default draws ink dark on white.
    titles : sequence of str, optional
        A title per image.

    Returns
    -------
    matplotlib.figure.Figure
    """
    images = np.asarray(images)
    if images.ndim == 2 and images.shape[1] == 784:
        images = images.reshape(-1, 28, 28)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) == 0:
        raise ValueError(f"images must have shape (n, 28, 28) or (n, 784), got {images.shape}")
    if labels is not None:
        labels = as_labels(labels, len(images), "labels")
    if titles is None and labels is not None:
        titles = [str(v) for v in labels]
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(titles)} titles for {len(images)} images")
    if not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer, got {ncols!r}")
    ncols = min(ncols, len(images))
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(0.8 * ncols, 0.9 * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < len(images):
            ax.imshow(images[i], cmap=cmap)
            if titles is not None:
                ax.set_title(titles[i], fontsize="small")
    return fig


def confusion_matrix(y_true, y_pred) -> np.ndarray:
    """Count test digits by true class (rows) and predicted class (columns).

    Returns
    -------
    numpy.ndarray
        ``(10, 10)`` int64 array of counts.
    """
    y_true = as_labels(y_true, name="y_true")
    y_pred = as_labels(y_pred, len(y_true), "y_pred")
    return np.bincount(10 * y_true + y_pred, minlength=100).reshape(10, 10)


def plot_confusion(counts, normalize: bool = False):
    """Draw a ``(10, 10)`` confusion matrix with its counts written in the cells.

    Parameters
    ----------
    counts : array_like
        Output of :func:`confusion_matrix`.
    normalize : bool
        Show each row as percentages of that true class instead of counts.

    Returns
    -------
    matplotlib.figure.Figure
    """
    counts = np.asarray(counts)
    if counts.shape != (10, 10):
        raise ValueError(f"counts must have shape (10, 10), got {counts.shape}")
    values = 100 * counts / np.maximum(counts.sum(1, keepdims=True), 1) if normalize else counts
    off = values.astype(float).copy()
    np.fill_diagonal(off, np.nan)
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    ax.imshow(off, cmap="Reds")
    for i in range(10):
        for j in range(10):
            text = f"{values[i, j]:.0f}" if not normalize else f"{values[i, j]:.1f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="gray" if i == j else "black")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    return fig


def histograms(groups: dict, bins: int = 60, xlabel: str = "value", density: bool = True):
    """Overlay histograms of several groups of values on one axis.

    Parameters
    ----------
    groups : dict of str to array_like
        Label -> values.
    bins : int
        Number of bins, shared by all groups.
    xlabel : str
        Label of the horizontal axis.
    density : bool
        Normalise each histogram to unit area, so groups of different sizes compare.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not groups:
        raise ValueError("groups must name at least one group of values")
    arrays = {k: np.asarray(v, dtype=float).ravel() for k, v in groups.items()}
    for name, values in arrays.items():
        if values.size == 0 or not np.isfinite(values).all():
            raise ValueError(f"group {name!r} must hold finite values, at least one")
    edges = np.histogram_bin_edges(np.concatenate(list(arrays.values())), bins=bins)
    fig, ax = plt.subplots()
    for name, values in arrays.items():
        ax.hist(values, bins=edges, density=density, alpha=0.55, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density" if density else "count")
    ax.legend(frameon=False)
    return fig
