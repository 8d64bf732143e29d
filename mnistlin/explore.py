"""Explorers: sliders that move one setting and redraw the weights and the accuracy.

Chapters 2-6 each end a section with an explorer. Everything expensive is computed once,
when the explorer is built; moving a slider then only looks up or combines precomputed
arrays, in well under 100 ms. The module has three layers:

- plain functions (no widgets, no plotting) that turn precomputed state into arrays, such
  as :func:`sgd_state` or :func:`offset_accuracy`, testable without widgets;
- *views*, small classes that draw one state of an explorer into a matplotlib figure and
  redraw it for another value (``view.update(value)``); the same view gives the static
  figure of the book, the frames of a player (:func:`player`) and the widget's picture;
- widget builders such as :func:`softmax_steps`, which wire ipywidgets sliders to a view.
  They import ipywidgets only when called, and need a live kernel (Jupyter or Binder) to
  respond; in the static book a player or the initial view stands in for them.

Limits: a slider only offers values prepared in advance (the saved SGD steps, a grid of
offsets or thresholds), because computing a new one can take seconds; and redrawing the
picture, a PNG image, takes roughly another 0.1 s on top of the update itself.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

from ._checks import N_CLASSES, as_features, as_labels, check_digit, check_weights
from . import dual
from .linear import _check_bias

DIVERGING = "RdBu_r"


# --------------------------------------------------------------------------------------
# Plain functions: precomputed state in, arrays out
# --------------------------------------------------------------------------------------


def _check_number(value, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _check_index(value, size: int, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not 0 <= value < size:
        raise ValueError(f"{name} must be 0 to {size - 1}, got {value}")
    return int(value)


def snapshot_steps(run) -> np.ndarray:
    """Return the sorted steps at which an SGD run kept its weights (chapter 2).

    Parameters
    ----------
    run : mnistlin.softmax.SGDRun
        A run of :func:`mnistlin.softmax.fit_softmax_sgd`.

    Returns
    -------
    numpy.ndarray
        int64 steps, increasing.

    Raises
    ------
    ValueError
        If the run holds no snapshots.
    """
    if not getattr(run, "snapshots", None):
        raise ValueError("the run holds no snapshots; fit it with snapshot_every set")
    return np.array(sorted(run.snapshots), dtype=np.int64)


def sgd_state(run, step: int) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Return the weights, bias and accuracies of an SGD run after ``step`` steps (chapter 2).

    Parameters
    ----------
    run : mnistlin.softmax.SGDRun
        A run with ``snapshots`` and a ``history`` that holds test curves.
    step : int
        One of the steps in ``run.snapshots``.

    Returns
    -------
    W : numpy.ndarray
        ``(d, 10)`` weights at that step.
    b : numpy.ndarray
        ``(10,)`` biases.
    train_acc, test_acc : float
        Accuracy on the run's training subset and on the test set, from ``run.history``.

    Raises
    ------
    ValueError
        If ``step`` is not a snapshot step or the history has no test curve.
    """
    steps = snapshot_steps(run)
    if isinstance(step, (bool, np.bool_)) or not isinstance(step, (int, np.integer)) \
            or int(step) not in run.snapshots:
        raise ValueError(f"step must be one of the snapshot steps {steps.tolist()}, got {step!r}")
    if "test_acc" not in run.history:
        raise ValueError("the run has no test curve; fit it with X_test and y_test")
    W, b = run.snapshots[int(step)]
    row = int(np.flatnonzero(run.history["step"] == step)[0])
    return W, b, float(run.history["train_acc"][row]), float(run.history["test_acc"][row])


def digit_evidence(x, W, b=None) -> tuple[np.ndarray, np.ndarray]:
    """Return the ten evidence maps of one digit and its ten class scores (chapter 2).

    Map ``k`` holds the terms ``x[j] * W[j, k]`` of the score of digit ``k`` as a 28x28
    image; the score is the sum of the map plus the bias ``b[k]``.

    Parameters
    ----------
    x : array_like
        One image as 784 features (or a 28x28 array).
    W : array_like
        ``(784, 10)`` weights.
    b : array_like, optional
        ``(10,)`` biases; zero when omitted.

    Returns
    -------
    maps : numpy.ndarray
        ``(10, 28, 28)`` float array.
    scores : numpy.ndarray
        ``(10,)`` float64 scores.

    Raises
    ------
    ValueError
        If ``x`` does not hold 784 finite numbers or ``W`` or ``b`` is malformed.
    """
    x = as_features(np.asarray(x).reshape(1, -1), "x")[0]
    if x.shape != (784,):
        raise ValueError(f"x must hold 784 pixels, got {x.shape[0]}")
    W = check_weights(W, d=784)
    b = _check_bias(b)
    maps = (x[:, None] * W).T.reshape(N_CLASSES, 28, 28)
    scores = maps.sum(axis=(1, 2), dtype=np.float64) + b.astype(np.float64)
    return maps, scores


@dataclass
class ThresholdGrid:
    """Least-squares patterns fitted once for each binarization threshold (chapter 3).

    Attributes
    ----------
    thresholds : numpy.ndarray
        ``(t,)`` thresholds, increasing.
    W : numpy.ndarray
        ``(t, 784, 10)`` float32 patterns, one set per threshold.
    b : numpy.ndarray
        ``(t, 10)`` float32 biases.
    test_acc : numpy.ndarray
        ``(t,)`` test accuracies.
    """

    thresholds: np.ndarray
    W: np.ndarray
    b: np.ndarray
    test_acc: np.ndarray


def _binary_equations(X, y, threshold: float, rows: int = 10_000):
    """Normal equations of the binarized ``X``, binarizing ``rows`` images at a time.

    This gives the same tables as ``normal_equations(binarize(X, threshold), y)`` without
    a binary copy of the whole training matrix.
    """
    from . import least_squares as ls

    X = as_features(X)
    y = as_labels(y, len(X))
    parts = [ls.normal_equations(ls.binarize(X[i:i + rows], threshold), y[i:i + rows])
             for i in range(0, len(X), rows)]
    return ls.NormalEquations(gram=sum(p.gram for p in parts), sums=sum(p.sums for p in parts),
                              cross=sum(p.cross for p in parts),
                              counts=sum(p.counts for p in parts), n=len(X))


def threshold_grid(X, y, X_test, y_test, thresholds, equations=None,
                   models=None) -> ThresholdGrid:
    """Fit least squares on binary pixels for each threshold of a grid (chapter 3).

    This is the expensive part of the chapter-3 explorer, done once: each threshold needs
    one pass over the training images (:func:`mnistlin.least_squares.normal_equations`)
    and one solve, unless its normal equations are passed in ``equations`` or its fitted
    model in ``models``.

    Parameters
    ----------
    X, y : array_like
        ``(n, 784)`` training features in [0, 1] and their labels.
    X_test, y_test : array_like
        Test features and labels.
    thresholds : array_like
        Increasing thresholds, each in [0, 1).
    equations : dict, optional
        Normal equations already computed, keyed by threshold.
    models : dict, optional
        Least-squares models (with ``W`` and ``b``) already fitted, keyed by threshold.

    Returns
    -------
    ThresholdGrid

    Raises
    ------
    ValueError
        If the inputs are malformed or the thresholds are not increasing.
    """
    from . import least_squares as ls
    from .linear import accuracy, predict

    thresholds = np.asarray(thresholds, dtype=np.float64)
    if thresholds.ndim != 1 or thresholds.size == 0 or np.any(np.diff(thresholds) <= 0):
        raise ValueError(f"thresholds must be increasing numbers, got {thresholds!r}")
    X_test = as_features(X_test, "X_test")
    y_test = as_labels(y_test, len(X_test), "y_test")
    equations = {} if equations is None else dict(equations)
    models = {} if models is None else dict(models)
    Ws, bs, accs = [], [], []
    for t in thresholds:
        model = models.get(float(t))
        if model is None:
            eq = equations.get(float(t))
            if eq is None:
                eq = _binary_equations(X, y, float(t))
            model = ls.solve_normal_equations(eq)
        Ws.append(model.W)
        bs.append(model.b)
        accs.append(accuracy(y_test, predict(ls.binarize(X_test, float(t)), model.W, model.b)))
    return ThresholdGrid(thresholds, np.stack(Ws).astype(np.float32),
                         np.stack(bs).astype(np.float32), np.array(accs))


def clip_limit(W, percentile: float = 99.0) -> float:
    """Return the colour limit that clips the largest ``100 - percentile``% of |weights|.

    Chapter 3 draws least-squares patterns on such a scale, because a few weights on
    rarely inked pixels are far larger than the rest.

    Raises
    ------
    ValueError
        If ``W`` holds no finite number or ``percentile`` is not in (0, 100].
    """
    W = np.asarray(W, dtype=np.float64)
    percentile = _check_number(percentile, "percentile")
    if W.size == 0 or not np.isfinite(W).all():
        raise ValueError("W must hold finite numbers")
    if not 0 < percentile <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {percentile}")
    limit = float(np.percentile(np.abs(W), percentile))
    return limit if limit > 0 else 1.0


def centred_templates(means, offset) -> np.ndarray:
    """Return the templates with ``offset`` subtracted from every pixel (chapter 4).

    A centred digit scored against a centred template, ``(x - c) @ (m_k - c)``, differs
    from the chapter's score ``(x - c) @ m_k`` by ``-c * sum(x - c)``, the same for every
    digit; so both predict the same, and ``m_k - c`` shows what the offset does: red
    pixels (above ``c``) reward ink, blue ones (below ``c``) penalise it.

    Raises
    ------
    ValueError
        If ``means`` is not ``(d, 10)`` or ``offset`` is not a finite number.
    """
    means = check_weights(means, name="means")
    return means - np.float32(_check_number(offset, "offset")).astype(means.dtype)


@dataclass
class OffsetScores:
    """What the chapter-4 explorer precomputes: raw template scores and template ink.

    Attributes
    ----------
    raw : numpy.ndarray
        ``(n, 10)`` scores ``X @ means``.
    ink : numpy.ndarray
        ``(10,)`` total ink ``means.sum(axis=0)`` of each template.
    y : numpy.ndarray
        ``(n,)`` true labels.
    """

    raw: np.ndarray
    ink: np.ndarray
    y: np.ndarray


def offset_scores(X, y, means) -> OffsetScores:
    """Compute ``X @ means`` once, so that each offset costs one subtraction (chapter 4)."""
    X = as_features(X)
    y = as_labels(y, len(X))
    means = check_weights(means, d=X.shape[1], name="means").astype(X.dtype, copy=False)
    return OffsetScores(X @ means, means.sum(axis=0), y)


def offset_accuracy(state: OffsetScores, offset) -> float:
    """Return the accuracy of the mean templates with ``offset`` subtracted from every pixel.

    Uses ``(x - c) @ m_k = x @ m_k - c * sum(m_k)``; it gives the same number as
    :func:`mnistlin.templates.offset_sweep` for that offset.

    Raises
    ------
    ValueError
        If ``offset`` is not a finite number.
    """
    c = _check_number(offset, "offset")
    shifted = state.raw - (c * state.ink).astype(state.raw.dtype)
    return float(np.mean(shifted.argmax(axis=1) == state.y))


@dataclass
class ContrastParts:
    """What the chapter-5 explorer precomputes.

    Attributes
    ----------
    means, others : numpy.ndarray
        ``(d, 10)`` class means and out-of-class means.
    s_means, s_others : numpy.ndarray
        ``(n, 10)`` test scores against each: ``X_test @ means``, ``X_test @ others``.
    y : numpy.ndarray
        ``(n,)`` test labels.
    reference : numpy.ndarray
        ``(d, 10)`` weights the templates are compared with (the softmax weights).
    """

    means: np.ndarray
    others: np.ndarray
    s_means: np.ndarray
    s_others: np.ndarray
    y: np.ndarray
    reference: np.ndarray


def contrast_parts(means, others, X_test, y_test, reference) -> ContrastParts:
    """Compute the test scores of the class means and out-of-class means once (chapter 5).

    Raises
    ------
    ValueError
        If the shapes disagree or a value is not finite.
    """
    X_test = as_features(X_test, "X_test")
    y_test = as_labels(y_test, len(X_test), "y_test")
    d = X_test.shape[1]
    means = check_weights(means, d=d, name="means").astype(X_test.dtype, copy=False)
    others = check_weights(others, d=d, name="others").astype(X_test.dtype, copy=False)
    reference = check_weights(reference, d=d, name="reference")
    return ContrastParts(means, others, X_test @ means, X_test @ others, y_test, reference)


def contrast_state(parts: ContrastParts, out_weight) -> tuple[np.ndarray, float, np.ndarray]:
    """Return the templates ``means - out_weight * others``, their accuracy and correlations.

    Parameters
    ----------
    parts : ContrastParts
        From :func:`contrast_parts`.
    out_weight : float
        0 gives the plain class means, 1 the in-minus-out contrast of chapter 5.

    Returns
    -------
    templates : numpy.ndarray
        ``(d, 10)`` templates.
    accuracy : float
        Test accuracy of scoring by dot product with them, without bias.
    correlation : numpy.ndarray
        ``(10,)`` correlation of each template with the reference weights of its digit.

    Raises
    ------
    ValueError
        If ``out_weight`` is not a finite number.
    """
    from .templates import weight_correlation

    w = _check_number(out_weight, "out_weight")
    T = parts.means - np.float32(w) * parts.others
    scores = parts.s_means - np.float32(w) * parts.s_others
    acc = float(np.mean(scores.argmax(axis=1) == parts.y))
    return T, acc, weight_correlation(T, parts.reference)


def running_sums(X, alpha, counts) -> np.ndarray:
    """Return, for every class at once, the weighted sums of the first ``m`` training digits.

    Entry ``[j, :, k]`` is ``sum(alpha[i, k] * X[i] for i < counts[j])``; for
    ``m = n`` it is the weight column that the coefficients describe (chapter 6). It is
    :func:`mnistlin.dual.running_sums`, which sums all ten classes in one pass over ``X``
    in float64.

    Parameters
    ----------
    X : array_like
        ``(n, d)`` training features.
    alpha : array_like
        ``(n, 10)`` coefficients.
    counts : array_like of int
        Numbers of digits, strictly increasing within 1 to ``n``.

    Returns
    -------
    numpy.ndarray
        ``(len(counts), d, 10)`` float32.

    Raises
    ------
    ValueError
        If the shapes disagree or ``counts`` is not strictly increasing within 1 to ``n``.
    """
    return dual.running_sums(X, alpha, counts)


def cosines(sums, W) -> np.ndarray:
    """Return the cosine between each partial sum and the final weights, per class.

    Parameters
    ----------
    sums : array_like
        ``(t, d, 10)`` partial sums from :func:`running_sums`.
    W : array_like
        ``(d, 10)`` final weights.

    Returns
    -------
    numpy.ndarray
        ``(t, 10)`` float64 cosines; 0 where a partial sum is all zero.

    Raises
    ------
    ValueError
        If the shapes disagree or ``W`` has an all-zero column.
    """
    sums = np.asarray(sums, dtype=np.float64)
    W = check_weights(W).astype(np.float64)
    if sums.ndim != 3 or sums.shape[1:] != W.shape or not np.isfinite(sums).all():
        raise ValueError(f"sums must have shape (t, {W.shape[0]}, 10), got {sums.shape}")
    w_norm = np.linalg.norm(W, axis=0)
    if np.any(w_norm == 0):
        raise ValueError("W has an all-zero column; its cosine is undefined")
    s_norm = np.linalg.norm(sums, axis=1)
    dots = np.einsum("tdk,dk->tk", sums, W)
    return np.divide(dots, s_norm * w_norm, out=np.zeros_like(dots), where=s_norm > 0)


# --------------------------------------------------------------------------------------
# Views: one state drawn into a figure, redrawn by update(value)
# --------------------------------------------------------------------------------------


def _image_grid(fig, gs, rows, cols, first_col):
    axes = []
    for r in range(rows):
        for c in range(cols):
            ax = fig.add_subplot(gs[r, first_col + c])
            ax.set_axis_off()
            axes.append(ax)
    return axes


def _limit(values) -> float:
    limit = float(np.max(np.abs(values)))
    return limit if limit > 0 else 1.0


class _WeightsPanel:
    """Ten 28x28 images in a 2x5 block of a gridspec, on one colour scale or each its own."""

    def __init__(self, fig, gs, first_col, W, titles=None, limit=None):
        self.axes = _image_grid(fig, gs, 2, 5, first_col)
        self.fixed = limit
        self.images = []
        for k, ax in enumerate(self.axes):
            self.images.append(ax.imshow(np.zeros((28, 28)), cmap=DIVERGING))
            ax.set_title(str(k) if titles is None else titles[k], fontsize="small")
        self.set(W, titles)

    def set(self, W, titles=None):
        W = np.asarray(W)
        for k, image in enumerate(self.images):
            image.set_data(W[:, k].reshape(28, 28))
            limit = self.fixed if self.fixed is not None else _limit(W[:, k])
            image.set_clim(-limit, limit)
            if titles is not None:
                self.axes[k].set_title(titles[k], fontsize="small")


def _curve_axes(fig, gs, top: bool = True):
    """The curve panel of a view, with a text readout of the current state in a corner."""
    ax = fig.add_subplot(gs[:, :2])
    ax.readout = ax.text(0.03, 0.97 if top else 0.03, "", transform=ax.transAxes,
                         va="top" if top else "bottom", fontsize="small")
    return ax


class SGDView:
    """Test and training accuracy of an SGD run, and its weights at one step (chapter 2)."""

    def __init__(self, fig, run):
        self.run = run
        self.steps = snapshot_steps(run)
        gs = fig.add_gridspec(2, 7, width_ratios=[1.3, 1.3, 1, 1, 1, 1, 1], wspace=0.15)
        ax = _curve_axes(fig, gs)
        history = run.history
        ax.plot(history["step"], 100 * history["train_acc"], lw=1, label="train")
        ax.plot(history["step"], 100 * history["test_acc"], "--", lw=1, label="test")
        ax.set(xlabel="step", ylabel="accuracy (%)", ylim=(80, 95))
        ax.legend(frameon=False, loc="lower right")
        self.marker = ax.axvline(0, color="0.3", lw=0.8)
        self.ax = ax
        W, _, _, _ = sgd_state(run, int(self.steps[0]))
        self.weights = _WeightsPanel(fig, gs, 2, W)
        fig.subplots_adjust(left=0.08, right=0.99, bottom=0.15, top=0.92)

    def update(self, step) -> None:
        W, _, train_acc, test_acc = sgd_state(self.run, int(step))
        self.weights.set(W)
        self.marker.set_xdata([step, step])
        self.ax.readout.set_text(f"step {int(step)}\ntest {100 * test_acc:.1f}%")


class EvidenceView:
    """One test digit, its ten class scores and its ten evidence maps (chapter 2)."""

    def __init__(self, fig, X, y, W, b):
        self.X, self.y, self.W, self.b = X, np.asarray(y), W, b
        gs = fig.add_gridspec(2, 6, wspace=0.1, hspace=0.3)
        self.ax_digit = fig.add_subplot(gs[0, 0])
        self.ax_digit.set_axis_off()
        self.digit = self.ax_digit.imshow(np.zeros((28, 28)), cmap="gray_r", vmin=0, vmax=1)
        self.ax_bar = fig.add_subplot(gs[1, 0])
        self.bars = self.ax_bar.barh(range(N_CLASSES), np.zeros(N_CLASSES), color="0.6")
        self.ax_bar.set(yticks=range(N_CLASSES), xlabel="score")
        self.ax_bar.invert_yaxis()
        self.ax_bar.tick_params(labelsize="x-small")
        self.maps = _WeightsPanel(fig, gs, 1, np.zeros((784, N_CLASSES)), limit=1.0)
        fig.subplots_adjust(left=0.05, right=0.99, bottom=0.12, top=0.9)

    def update(self, index) -> None:
        x = self.X[int(index)]
        maps, scores = digit_evidence(x, self.W, self.b)
        self.digit.set_data(x.reshape(28, 28))
        self.ax_digit.set_title(f"test digit {int(index)}: a {self.y[int(index)]}",
                                fontsize="small")
        best = int(scores.argmax())
        for k, bar in enumerate(self.bars):
            bar.set_width(scores[k])
            bar.set_color("C3" if k == best else "0.6")
        low, high = min(0.0, scores.min()), max(0.0, scores.max())
        self.ax_bar.set_xlim(low - 0.05 * (high - low), high + 0.05 * (high - low))
        self.maps.fixed = _limit(maps)
        self.maps.set(maps.reshape(N_CLASSES, 784).T,
                      [f"{k}: {scores[k]:+.1f}" for k in range(N_CLASSES)])


class ThresholdView:
    """Test accuracy against the threshold, and the patterns at one threshold (chapter 3)."""

    def __init__(self, fig, grid: ThresholdGrid):
        self.grid = grid
        gs = fig.add_gridspec(2, 7, width_ratios=[1.3, 1.3, 1, 1, 1, 1, 1], wspace=0.15)
        ax = _curve_axes(fig, gs, top=False)
        ax.plot(grid.thresholds, 100 * grid.test_acc, marker="o", ms=3)
        ax.set(xlabel="threshold", ylabel="test accuracy (%)")
        self.marker, = ax.plot([], [], "o", color="C3")
        self.ax = ax
        self.weights = _WeightsPanel(fig, gs, 2, grid.W[0], limit=1.0)
        fig.subplots_adjust(left=0.1, right=0.99, bottom=0.15, top=0.92)

    def update(self, i) -> None:
        i = _check_index(i, len(self.grid.thresholds), "i")
        W = self.grid.W[i]
        self.weights.fixed = clip_limit(W)
        self.weights.set(W)
        t, acc = self.grid.thresholds[i], self.grid.test_acc[i]
        self.marker.set_data([t], [100 * acc])
        self.ax.readout.set_text(f"threshold {t:.2f}\ntest {100 * acc:.1f}%")


class OffsetView:
    """Accuracy against the offset, and the centred templates at one offset (chapter 4)."""

    def __init__(self, fig, state: OffsetScores, means, offsets, curve):
        self.state, self.means = state, means
        gs = fig.add_gridspec(2, 7, width_ratios=[1.3, 1.3, 1, 1, 1, 1, 1], wspace=0.15)
        ax = _curve_axes(fig, gs)
        ax.plot(offsets, 100 * np.asarray(curve), lw=1)
        ax.set(xlabel="offset c", ylabel="test accuracy (%)")
        self.marker, = ax.plot([], [], "o", color="C3")
        self.ax = ax
        limit = max(float(np.max(means)), float(np.max(offsets)))
        self.weights = _WeightsPanel(fig, gs, 2, means, limit=limit)
        fig.subplots_adjust(left=0.1, right=0.99, bottom=0.15, top=0.92)

    def update(self, offset) -> None:
        acc = offset_accuracy(self.state, offset)
        self.weights.set(centred_templates(self.means, offset))
        self.marker.set_data([offset], [100 * acc])
        self.ax.readout.set_text(f"c = {offset:.2f}\ntest {100 * acc:.1f}%")


class ContrastView:
    """Accuracy and correlation against the out weight, and the templates (chapter 5)."""

    def __init__(self, fig, parts: ContrastParts, weights):
        self.parts = parts
        curves = [contrast_state(parts, float(w))[1:] for w in weights]
        gs = fig.add_gridspec(2, 7, width_ratios=[1.3, 1.3, 1, 1, 1, 1, 1], wspace=0.15,
                              hspace=0.5)
        self.ax_acc = fig.add_subplot(gs[0, :2])
        accs = 100 * np.array([a for a, _ in curves])
        self.ax_acc.plot(weights, accs, lw=1)
        # A fixed margin of 5 points, so that a flat curve looks flat.
        self.ax_acc.set(ylabel="accuracy (%)",
                        ylim=(np.floor(accs.min()) - 5, np.ceil(accs.max()) + 5))
        self.ax_corr = fig.add_subplot(gs[1, :2])
        self.ax_corr.plot(weights, [c.mean() for _, c in curves], lw=1, color="C2")
        self.ax_corr.set(xlabel="out weight", ylabel="mean corr.")
        self.m_acc, = self.ax_acc.plot([], [], "o", color="C3")
        self.m_corr, = self.ax_corr.plot([], [], "o", color="C3")
        self.readout = self.ax_acc.text(0.03, 0.95, "", transform=self.ax_acc.transAxes,
                                        va="top", fontsize="small")
        self.weights = _WeightsPanel(fig, gs, 2, parts.means)
        fig.subplots_adjust(left=0.1, right=0.99, bottom=0.15, top=0.92)

    def update(self, out_weight) -> None:
        T, acc, corr = contrast_state(self.parts, out_weight)
        self.weights.set(T, [f"{k}: r={corr[k]:.2f}" for k in range(N_CLASSES)])
        self.m_acc.set_data([out_weight], [100 * acc])
        self.m_corr.set_data([out_weight], [corr.mean()])
        self.readout.set_text(f"out weight {out_weight:.2f}: test {100 * acc:.1f}%")


class RunningSumView:
    """The sum of the first m training digits for one class, next to its weights (chapter 6)."""

    def __init__(self, fig, counts, sums, W):
        self.counts, self.sums, self.W = np.asarray(counts), sums, np.asarray(W)
        self.cos = cosines(sums, W)
        gs = fig.add_gridspec(1, 3, width_ratios=[1.4, 1, 1], wspace=0.25)
        self.ax = fig.add_subplot(gs[0, 0])
        self.line, = self.ax.plot(self.counts, self.cos[:, 0], lw=1)
        self.marker, = self.ax.plot([], [], "o", color="C3")
        self.ax.set(xscale="log", xlabel="digits added, m", ylabel="cosine with weights",
                    ylim=(min(0.0, float(self.cos.min())) - 0.05, 1.05))
        self.ax_sum = fig.add_subplot(gs[0, 1])
        self.ax_final = fig.add_subplot(gs[0, 2])
        self.im_sum = self.ax_sum.imshow(np.zeros((28, 28)), cmap=DIVERGING)
        self.im_final = self.ax_final.imshow(np.zeros((28, 28)), cmap=DIVERGING)
        for ax in (self.ax_sum, self.ax_final):
            ax.set_axis_off()
        fig.subplots_adjust(left=0.1, right=0.99, bottom=0.18, top=0.88)
        self.k = None

    def update(self, i, k=0) -> None:
        i = _check_index(i, len(self.counts), "i")
        k = check_digit(k, "k")
        if k != self.k:
            self.k = k
            self.line.set_ydata(self.cos[:, k])
            w = self.W[:, k]
            self.im_final.set_data(w.reshape(28, 28))
            self.im_final.set_clim(-_limit(w), _limit(w))
            self.ax_final.set_title(f"weights of class {k}", fontsize="small")
        s = self.sums[i, :, k]
        self.im_sum.set_data(s.reshape(28, 28))
        self.im_sum.set_clim(-_limit(s), _limit(s))
        self.ax_sum.set_title(f"sum of first {self.counts[i]:,}", fontsize="small")
        self.marker.set_data([self.counts[i]], [self.cos[i, k]])


# --------------------------------------------------------------------------------------
# The static book: a figure of the initial view, and a player that runs without a kernel
# --------------------------------------------------------------------------------------


def view_figure(make_view, value, figsize=(9, 3.2)) -> "matplotlib.figure.Figure":
    """Draw one state of a view into a new pyplot figure and return the figure.

    ``make_view(fig)`` builds the view; ``value`` is passed to its ``update`` (a tuple
    is unpacked). This is the static stand-in for an explorer in the book.
    """
    fig = plt.figure(figsize=figsize)
    view = make_view(fig)
    view.update(*value) if isinstance(value, tuple) else view.update(value)
    return fig


def player(make_view, values, figsize=(9, 3.2), dpi: int = 60,
           interval: int = 600) -> "IPython.display.HTML":
    """Return an HTML player of a view stepping through ``values``; it needs no kernel.

    The frames are rendered once, as PNG images embedded in the page with matplotlib's
    JavaScript player (:meth:`matplotlib.animation.Animation.to_jshtml`). The figure is
    closed, so the notebook shows the player only.

    Parameters
    ----------
    make_view : callable
        ``make_view(fig)`` returns a view with an ``update(value)`` method.
    values : sequence
        One value per frame (a tuple is unpacked into ``update``); keep it to 10-20.
    figsize : tuple of float
        Figure size in inches.
    dpi : int
        Resolution of the frames; low keeps the page light.
    interval : int
        Milliseconds per frame.

    Returns
    -------
    IPython.display.HTML
    """
    from IPython.display import HTML
    from matplotlib.animation import FuncAnimation

    values = list(values)
    if not values:
        raise ValueError("values must hold at least one frame")
    fig = plt.figure(figsize=figsize, dpi=dpi)
    view = make_view(fig)

    def frame(value):
        view.update(*value) if isinstance(value, tuple) else view.update(value)
        return []

    anim = FuncAnimation(fig, frame, frames=values, interval=interval, blit=False)
    try:
        # JPEG frames are several times smaller than PNG ones for these images.
        with matplotlib.rc_context({"animation.frame_format": "jpeg", "savefig.dpi": dpi}):
            html = anim.to_jshtml(default_mode="once")
    finally:
        plt.close(fig)
    return HTML(html)


# --------------------------------------------------------------------------------------
# Widgets: need a live kernel
# --------------------------------------------------------------------------------------


def _png(fig, dpi: int = 80) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _explorer(make_view, controls, figsize=(9, 3.2)) -> "ipywidgets.VBox":
    """Wire ``controls`` (a dict name -> widget) to a view drawn as a PNG image widget."""
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)  # not a pyplot figure: the notebook does not show it
    view = make_view(fig)
    image = widgets.Image(format="png")

    def redraw(_=None):
        view.update(*(c.value for c in controls.values()))
        image.value = _png(fig)

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([widgets.HBox(list(controls.values())), image])
    box.layout.width = "auto"
    return box


def _slider_over(options, description, start=None):
    """A slider over ``options``, a list of (label, value) pairs, at ``start`` or the first."""
    import ipywidgets as widgets

    values = [v for _, v in options]
    if start is not None and start not in values:
        raise ValueError(f"start must be one of {values}, got {start!r}")
    return widgets.SelectionSlider(options=options,
                                   value=values[0] if start is None else start,
                                   description=description, continuous_update=False,
                                   layout=widgets.Layout(width="420px"))


def softmax_steps(run) -> "ipywidgets.VBox":
    """A slider over the steps of an SGD run: weights and accuracy at each (chapter 2)."""
    options = [(str(s), int(s)) for s in snapshot_steps(run)]
    return _explorer(lambda fig: SGDView(fig, run), {"step": _slider_over(options, "step")})


def softmax_evidence(X, y, W, b=None, index: int = 0) -> "ipywidgets.VBox":
    """Pick a test digit by index and see its ten evidence maps and scores (chapter 2)."""
    import ipywidgets as widgets

    X = as_features(X)
    slider = widgets.IntSlider(value=index, min=0, max=len(X) - 1, description="test digit",
                               continuous_update=False, layout=widgets.Layout(width="420px"))
    return _explorer(lambda fig: EvidenceView(fig, X, y, W, b), {"index": slider},
                     figsize=(9, 3.4))


def threshold_explorer(grid: ThresholdGrid) -> "ipywidgets.VBox":
    """A slider over a precomputed grid of binarization thresholds (chapter 3)."""
    options = [(f"{t:.2f}", i) for i, t in enumerate(grid.thresholds)]
    return _explorer(lambda fig: ThresholdView(fig, grid),
                     {"i": _slider_over(options, "threshold")})


def offset_explorer(state: OffsetScores, means, offsets, curve) -> "ipywidgets.VBox":
    """A slider over the centering offset of the mean templates (chapter 4)."""
    options = [(f"{c:.2f}", round(float(c), 4)) for c in offsets]
    return _explorer(lambda fig: OffsetView(fig, state, means, offsets, curve),
                     {"offset": _slider_over(options, "offset c")})


def contrast_explorer(parts: ContrastParts, weights=None, start=None) -> "ipywidgets.VBox":
    """A slider from the plain class means (0) to the in-minus-out contrast (1) (chapter 5).

    ``weights`` are the slider's out weights (21 steps from 0 to 1 by default) and
    ``start`` the one it starts at (the first by default).
    """
    weights = np.linspace(0, 1, 21) if weights is None else np.asarray(weights)
    options = [(f"{w:.2f}", round(float(w), 4)) for w in weights]
    start = None if start is None else round(float(start), 4)
    return _explorer(lambda fig: ContrastView(fig, parts, weights),
                     {"w": _slider_over(options, "out weight", start)})


def running_sum_explorer(counts, sums, W) -> "ipywidgets.VBox":
    """A slider over the number of training digits summed, and a class picker (chapter 6)."""
    import ipywidgets as widgets

    options = [(f"{int(m):,}", i) for i, m in enumerate(counts)]
    digit = widgets.Dropdown(options=list(range(N_CLASSES)), value=0, description="class",
                             layout=widgets.Layout(width="160px"))
    return _explorer(lambda fig: RunningSumView(fig, counts, sums, W),
                     {"i": _slider_over(options, "digits"), "k": digit}, figsize=(8, 2.8))


# --------------------------------------------------------------------------------------
# Chapter 1: which digit pairs a hyperplane splits (computation, view and widget)
# --------------------------------------------------------------------------------------


@dataclass
class PairState:
    """What the chapter-1 explorer shows for one pair of digits.

    Attributes
    ----------
    a, b : int
        The two digits; ``a`` is on the positive side of the hyperplane.
    kind : str
        The kind of the pair's certificate: ``"separable"``, ``"not separable"`` or
        ``"undecided"``.
    train_errors : int
        Training digits of the pair on the wrong side of the hyperplane, or on it.
    train_a, train_b : numpy.ndarray
        Signed distances of the training digits of ``a`` and of ``b`` from the hyperplane,
        in pixel levels (0-255 units): ``(w @ x + b) / ||w||``. Positive is the side of ``a``.
    test_acc : float
        Fraction of the pair's test digits on their own side of the hyperplane.
    """

    a: int
    b: int
    kind: str
    train_errors: int
    train_a: np.ndarray
    train_b: np.ndarray
    test_acc: float


def _pair_points(images, name: str) -> np.ndarray:
    """Images as ``(n, 784)`` whole numbers 0-255, as the certificates expect."""
    from .separability import _as_points

    X = _as_points(images, name)
    if X.shape[1] != 784 or X.min() < 0 or X.max() > 255:
        raise ValueError(f"{name} must hold 28x28 images with pixels 0-255, got {X.shape}")
    return X


def signed_distances(cert, X) -> np.ndarray:
    """Return the signed distance of each row of ``X`` from a certificate's hyperplane.

    The distance is ``(w @ x + b) / ||w||`` in the units of ``X`` (pixel levels for MNIST);
    positive is the side of set A. The scores ``w @ x + b`` are computed in float64, which
    is exact for pixels 0-255 and the certificates' integer weights (below ``2**30`` each),
    because every partial sum stays below ``2**53``; so the signs agree with the exact
    check of :meth:`mnistlin.separability.Certificate.verify` (chapter 1).

    Parameters
    ----------
    cert : mnistlin.separability.Certificate
        A certificate of :func:`mnistlin.separability.separate`.
    X : array_like
        ``(n, 784)`` or ``(n, 28, 28)`` integer pixels 0-255.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` float64 distances.

    Raises
    ------
    ValueError
        If ``X`` does not hold 0-255 images or the hyperplane has all-zero weights.
    """
    X = _pair_points(X, "X")
    w = np.asarray(cert.w, dtype=np.float64)
    norm = float(np.linalg.norm(w))
    if w.shape != (784,) or norm == 0:
        raise ValueError("the certificate must hold a hyperplane with 784 weights, not all 0")
    return (_hyperplane_scores(X, w[:, None])[:, 0] + float(cert.b)) / norm


def _hyperplane_scores(X: np.ndarray, W: np.ndarray) -> np.ndarray:
    """``X @ W`` in float64 (exact here, see :func:`signed_distances`), a block at a time."""
    out = np.empty((len(X), W.shape[1]))
    for lo in range(0, len(X), 4096):  # converting in blocks keeps the float64 copy small
        out[lo:lo + 4096] = X[lo:lo + 4096].astype(np.float64) @ W
    return out


class PairStates:
    """The :class:`PairState` of every pair in a table of certificates (chapter 1).

    The expensive work, the search for the certificates, is done beforehand by
    :func:`mnistlin.separability.pair_table`. Building this object projects every training
    and test digit on the hyperplanes of all the pairs at once, one pass over the images
    (about a second for MNIST); asking for a pair afterwards is a dictionary look-up.

    Parameters
    ----------
    table : dict
        ``{(a, b): Certificate}`` from :func:`mnistlin.separability.pair_table`.
    images, labels : array_like
        The training images (whole numbers 0-255) and labels the table was computed on.
    test_images, test_labels : array_like
        Test images and labels, to measure each hyperplane on new digits.

    Raises
    ------
    ValueError
        If the images or labels are malformed, the table holds no pair, or a hyperplane
        does not have 784 weights, not all zero.
    """

    def __init__(self, table: dict, images, labels, test_images, test_labels):
        if not isinstance(table, dict) or not table:
            raise ValueError("table must be a non-empty dict {(a, b): Certificate}")
        images = _pair_points(images, "images")
        labels = as_labels(labels, len(images), "labels")
        test_images = _pair_points(test_images, "test_images")
        test_labels = as_labels(test_labels, len(test_images), "test_labels")
        self.table = table
        self.pairs = sorted(table)
        W = np.stack([np.asarray(table[p].w, dtype=np.float64) for p in self.pairs], axis=1)
        norms = np.linalg.norm(W, axis=0)
        if W.shape[0] != 784 or np.any(norms == 0):
            raise ValueError("every certificate must hold a hyperplane with 784 weights, "
                             "not all 0")
        offsets = np.array([float(table[p].b) for p in self.pairs])
        train = (_hyperplane_scores(images, W) + offsets) / norms
        test = (_hyperplane_scores(test_images, W) + offsets) / norms
        self._states = {}
        for j, (a, b) in enumerate(self.pairs):
            a, b = check_digit(a, "a"), check_digit(b, "b")
            train_a, train_b = train[labels == a, j], train[labels == b, j]
            test_a, test_b = test[test_labels == a, j], test[test_labels == b, j]
            right = int(np.sum(test_a > 0)) + int(np.sum(test_b < 0))
            errors = int(np.sum(train_a <= 0)) + int(np.sum(train_b >= 0))
            self._states[(a, b)] = PairState(a, b, table[(a, b)].kind, errors, train_a,
                                             train_b, right / (len(test_a) + len(test_b)))

    def __getitem__(self, pair) -> PairState:
        """Return the :class:`PairState` of ``pair = (a, b)``."""
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise ValueError(f"pair must be a tuple (a, b) of two digits, got {pair!r}")
        a, b = check_digit(pair[0], "a"), check_digit(pair[1], "b")
        if (a, b) not in self._states:
            raise ValueError(f"pair must be one of the table's pairs (a < b), got {(a, b)}")
        return self._states[(a, b)]


def pair_histograms(state: PairState, bins: int = 80):
    """Return the shared bin edges and the two histograms of a pair's distances (chapter 1).

    Returns
    -------
    edges : numpy.ndarray
        About ``bins + 1`` equally spaced edges spanning the distances of both digits,
        one of them at 0, so that no bin holds digits from both sides of the hyperplane.
    counts_a, counts_b : numpy.ndarray
        ``(bins,)`` int64 counts of the training digits of ``a`` and of ``b``.

    Raises
    ------
    ValueError
        If ``bins`` is not an integer of at least 2.
    """
    if isinstance(bins, (bool, np.bool_)) or not isinstance(bins, (int, np.integer)) \
            or bins < 2:
        raise ValueError(f"bins must be an integer of at least 2, got {bins!r}")
    lo = min(float(state.train_a.min()), float(state.train_b.min()))
    hi = max(float(state.train_a.max()), float(state.train_b.max()))
    width = max(hi - lo, 1e-9) / int(bins)
    # Zero, the hyperplane, is always a bin edge: no bin straddles the two sides.
    edges = width * np.arange(np.floor(lo / width), np.ceil(hi / width) + 1)
    counts_a = np.histogram(state.train_a, edges)[0]
    counts_b = np.histogram(state.train_b, edges)[0]
    return edges, counts_a, counts_b


_KIND_NOTE = {
    "separable": ("separable (a checked hyperplane)", "its training digits on the wrong side"),
    "not separable": ("not separable (a blend certificate)",
                      "the best hyperplane the fit found: training digits on the wrong side"),
    "undecided": ("undecided", "the best hyperplane the fit found: training digits on the "
                  "wrong side"),
}


class PairView:
    """Histograms of a pair's training digits projected on its hyperplane (chapter 1).

    The horizontal axis is the signed distance from the hyperplane in pixel levels; the
    vertical axis counts digits on a log scale, so that the few digits on the wrong side of
    a blocked pair stay visible next to the thousands on the right side.
    """

    def __init__(self, fig, states: PairStates, bins: int = 80):
        self.states, self.bins = states, bins
        ax = fig.add_subplot()
        zeros, edges = np.zeros(bins), np.linspace(-1, 1, bins + 1)
        self.step_a = ax.stairs(zeros, edges, fill=True, alpha=0.5, color="C3", baseline=0.5)
        self.step_b = ax.stairs(zeros, edges, fill=True, alpha=0.5, color="C0", baseline=0.5)
        ax.axvline(0, color="0.2", lw=0.8, ls="--")
        ax.set(yscale="log", xlabel="signed distance from the hyperplane (pixel levels)",
               ylabel="training digits")
        self.readout = ax.text(0, 1.03, "", transform=ax.transAxes, va="bottom",
                               fontsize="small")
        self.ax = ax
        fig.subplots_adjust(left=0.1, right=0.98, bottom=0.15, top=0.8)

    def update(self, a, b=None) -> None:
        """Draw the pair ``(a, b)``; also accepts the pair as one tuple, ``update((a, b))``."""
        pair = a if b is None else (a, b)
        state = self.states[tuple(pair) if isinstance(pair, (list, tuple)) else pair]
        edges, counts_a, counts_b = pair_histograms(state, self.bins)
        # Empty bins sit on the baseline 0.5, just under the lowest count of the log axis.
        self.step_a.set_data(np.maximum(counts_a, 0.5), edges)
        self.step_b.set_data(np.maximum(counts_b, 0.5), edges)
        self.step_a.set_label(f"{state.a} (positive side)")
        self.step_b.set_label(f"{state.b}")
        self.ax.legend(handles=[self.step_a, self.step_b], frameon=False, loc="upper right")
        top = max(int(counts_a.max()), int(counts_b.max()))
        self.ax.set(xlim=(edges[0], edges[-1]), ylim=(0.5, 3 * top))
        kind, errors = _KIND_NOTE[state.kind]
        self.readout.set_text(f"{state.a} vs {state.b}: {kind}\n{errors}: {state.train_errors}"
                              f"\ntest accuracy on the pair's test digits: "
                              f"{100 * state.test_acc:.1f}%")


def pair_explorer(states: PairStates, start=(3, 5)) -> "ipywidgets.VBox":
    """A drop-down list of the digit pairs: separability, projections, test accuracy (chapter 1).

    ``start`` is the pair shown first. Picking a pair only looks up what ``states`` holds.
    """
    import ipywidgets as widgets

    options = [(f"{a} vs {b}", (a, b)) for a, b in states.pairs]
    start = tuple(start)
    if start not in states.table:
        raise ValueError(f"start must be one of the pairs {states.pairs}, got {start!r}")
    dropdown = widgets.Dropdown(options=options, value=start, description="pair",
                                layout=widgets.Layout(width="200px"))
    return _explorer(lambda fig: PairView(fig, states), {"pair": dropdown}, figsize=(7, 3.6))
