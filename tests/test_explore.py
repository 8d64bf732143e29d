"""Tests of mnistlin.explore: the explorers' computations, views, players and widgets."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from mnistlin import dual, explore, templates  # noqa: E402
from mnistlin import least_squares as ls  # noqa: E402
from mnistlin.softmax import fit_softmax_sgd  # noqa: E402


def tiny_images(n=120, seed=0):
    """Random 784-pixel images in [0, 1] with every digit present."""
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % 10)
    X = rng.random((n, 784)).astype(np.float32)
    X[np.arange(n), 100 + 10 * y] += 2.0  # one bright pixel per class, so classes differ
    return np.clip(X / 2, 0, 1).astype(np.float32), y


@pytest.fixture(scope="module")
def run():
    X, y = tiny_images()
    return fit_softmax_sgd(X, y, X[:40], y[:40], batch_size=16, steps=20, snapshot_every=5,
                           learning_rate=0.5, eval_size=60, seed=0)


# --- chapter 2 ---------------------------------------------------------------------------


def test_snapshot_steps_are_sorted_and_include_the_ends(run):
    np.testing.assert_array_equal(explore.snapshot_steps(run), [0, 5, 10, 15, 20])


def test_snapshot_steps_refuse_a_run_without_snapshots(run):
    class Empty:
        snapshots = {}

    with pytest.raises(ValueError, match="no snapshots"):
        explore.snapshot_steps(Empty())


def test_sgd_state_reads_the_snapshot_and_the_history(run):
    W, b, train_acc, test_acc = explore.sgd_state(run, 10)
    np.testing.assert_array_equal(W, run.snapshots[10][0])
    np.testing.assert_array_equal(b, run.snapshots[10][1])
    assert train_acc == run.history["train_acc"][10]
    assert test_acc == run.history["test_acc"][10]
    W0, _, _, _ = explore.sgd_state(run, 0)
    assert not W0.any()  # the run starts from zero


@pytest.mark.parametrize("step", [3, 25, -5, 10.0, True, "10"])
def test_sgd_state_refuses_steps_without_a_snapshot(run, step):
    with pytest.raises(ValueError, match="snapshot steps"):
        explore.sgd_state(run, step)


def test_digit_evidence_of_a_single_inked_pixel():
    x = np.zeros(784, dtype=np.float32)
    x[5] = 0.5
    W = np.zeros((784, 10), dtype=np.float32)
    W[5] = np.arange(10)
    W[6] = 100.0  # an uninked pixel adds nothing
    b = np.arange(10, dtype=np.float32) - 5
    maps, scores = explore.digit_evidence(x, W, b)
    assert maps.shape == (10, 28, 28)
    np.testing.assert_allclose(maps[:, 0, 5], 0.5 * np.arange(10))
    assert np.count_nonzero(maps) == 9  # map 0 is all zero
    np.testing.assert_allclose(scores, 0.5 * np.arange(10) + b)


def test_digit_evidence_sums_to_the_linear_scores():
    rng = np.random.default_rng(1)
    x, W, b = rng.random(784), rng.normal(size=(784, 10)), rng.normal(size=10)
    maps, scores = explore.digit_evidence(x.reshape(28, 28), W, b)
    np.testing.assert_allclose(scores, x @ W + b, rtol=1e-10)
    np.testing.assert_allclose(maps.sum(axis=(1, 2)) + b, scores)


def test_digit_evidence_refuses_bad_inputs():
    W = np.zeros((784, 10))
    with pytest.raises(ValueError, match="784 pixels"):
        explore.digit_evidence(np.zeros(783), W)
    with pytest.raises(ValueError, match="NaN"):
        explore.digit_evidence(np.full(784, np.nan), W)
    with pytest.raises(ValueError, match="10 finite numbers"):
        explore.digit_evidence(np.zeros(784), W, b=np.zeros(9))
    with pytest.raises(ValueError, match="shape"):
        explore.digit_evidence(np.zeros(784), np.zeros((784, 9)))


# --- chapter 3 ---------------------------------------------------------------------------


def small_split(seed=2):
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(80) % 10)
    X = rng.random((80, 12)).astype(np.float32)
    return X[:60], y[:60], X[60:], y[60:]


def test_threshold_grid_fits_least_squares_on_each_binarization():
    X, y, Xt, yt = small_split()
    grid = explore.threshold_grid(X, y, Xt, yt, [0.2, 0.6])
    assert grid.W.shape == (2, 12, 10) and grid.b.shape == (2, 10)
    for i, t in enumerate([0.2, 0.6]):
        model = ls.fit_least_squares(ls.binarize(X, t), y)
        np.testing.assert_allclose(grid.W[i], model.W, atol=1e-5)
        pred = (ls.binarize(Xt, t) @ model.W + model.b).argmax(axis=1)
        assert grid.test_acc[i] == np.mean(pred == yt)


def test_threshold_grid_reuses_given_equations_and_models():
    X, y, Xt, yt = small_split()
    eq = ls.normal_equations(ls.binarize(X, 0.2), y)
    fake = ls.LinearModel(W=np.ones((12, 10), dtype=np.float32), b=np.zeros(10, np.float32))
    grid = explore.threshold_grid(X, y, Xt, yt, [0.2, 0.6], equations={0.2: eq},
                                  models={0.6: fake})
    np.testing.assert_allclose(grid.W[0], ls.solve_normal_equations(eq).W)
    np.testing.assert_array_equal(grid.W[1], fake.W)  # taken as given, not refitted


def test_binary_equations_in_blocks_equal_one_pass():
    X, y, _, _ = small_split()
    blocks = explore._binary_equations(X, y, 0.5, rows=7)
    whole = ls.normal_equations(ls.binarize(X, 0.5), y)
    for field in ("gram", "sums", "cross", "counts"):
        np.testing.assert_array_equal(getattr(blocks, field), getattr(whole, field))
    assert blocks.n == whole.n


@pytest.mark.parametrize("thresholds", [[0.5, 0.2], [], [[0.1, 0.2]], [0.3, 0.3]])
def test_threshold_grid_refuses_thresholds_that_do_not_increase(thresholds):
    X, y, Xt, yt = small_split()
    with pytest.raises(ValueError, match="increasing"):
        explore.threshold_grid(X, y, Xt, yt, thresholds)


def test_clip_limit_is_the_percentile_of_the_sizes():
    W = -np.arange(1.0, 101.0)
    assert explore.clip_limit(W, 50) == np.percentile(np.arange(1.0, 101.0), 50)
    assert explore.clip_limit(W, 100) == 100.0
    assert explore.clip_limit(np.zeros(5)) == 1.0
    for bad in (0, 101, np.nan, "99"):
        with pytest.raises(ValueError, match="percentile"):
            explore.clip_limit(W, bad)
    with pytest.raises(ValueError, match="finite"):
        explore.clip_limit(np.array([1.0, np.inf]))


# --- chapter 4 ---------------------------------------------------------------------------


def test_centred_templates_subtract_the_offset():
    means = np.arange(20, dtype=np.float32).reshape(2, 10) / 20
    np.testing.assert_allclose(explore.centred_templates(means, 0.25), means - 0.25)
    for bad in (np.nan, True, "0.2", None):
        with pytest.raises(ValueError, match="offset"):
            explore.centred_templates(means, bad)


def test_centred_scores_rank_digits_like_the_offset_scores():
    X, y, Xt, _ = small_split()
    means = templates.class_means(X, y)
    c = 0.3
    centred = (Xt - c) @ explore.centred_templates(means, c)
    np.testing.assert_array_equal(centred.argmax(axis=1),
                                  templates.predict_templates(Xt, means, offset=c))


def test_offset_accuracy_matches_the_sweep():
    X, y, Xt, yt = small_split()
    means = templates.class_means(X, y)
    state = explore.offset_scores(Xt, yt, means)
    offsets = np.linspace(0, 1, 11)
    np.testing.assert_array_equal([explore.offset_accuracy(state, c) for c in offsets],
                                  templates.offset_sweep(Xt, yt, means, offsets))


def test_offset_accuracy_known_answer():
    # Template 1 has more ink; a large offset penalises it until template 0 wins.
    means = np.zeros((2, 10), dtype=np.float32)
    means[:, 0] = [1.0, 0.0]
    means[:, 1] = [1.0, 1.0]
    X = np.array([[1.0, 0.2]], dtype=np.float32)
    state = explore.offset_scores(X, np.array([0]), means)
    assert explore.offset_accuracy(state, 0.0) == 0.0  # 1.2 > 1.0: template 1 wins
    assert explore.offset_accuracy(state, 0.5) == 1.0  # 1.2 - 1.0 < 1.0 - 0.5
    with pytest.raises(ValueError, match="offset"):
        explore.offset_accuracy(state, np.inf)


# --- chapter 5 ---------------------------------------------------------------------------


def test_contrast_state_runs_from_means_to_contrast():
    X, y, Xt, yt = small_split()
    means = templates.class_means(X, y)
    others = templates.out_of_class_means(X, y)
    reference = np.random.default_rng(3).normal(size=(12, 10))
    parts = explore.contrast_parts(means, others, Xt, yt, reference)
    T0, acc0, corr0 = explore.contrast_state(parts, 0)
    np.testing.assert_array_equal(T0, means)
    assert acc0 == np.mean(templates.predict_templates(Xt, means) == yt)
    np.testing.assert_allclose(corr0, templates.weight_correlation(means, reference))
    T1, acc1, corr1 = explore.contrast_state(parts, 1.0)
    contrast = templates.contrast_templates(X, y)
    np.testing.assert_allclose(T1, contrast, atol=1e-6)
    assert acc1 == np.mean((Xt @ T1).argmax(axis=1) == yt)
    np.testing.assert_allclose(corr1, templates.weight_correlation(contrast, reference),
                               atol=1e-5)


def test_contrast_parts_and_state_refuse_bad_inputs():
    X, y, Xt, yt = small_split()
    means = templates.class_means(X, y)
    with pytest.raises(ValueError, match="reference"):
        explore.contrast_parts(means, means, Xt, yt, np.zeros((11, 10)))
    with pytest.raises(ValueError, match="y_test"):
        explore.contrast_parts(means, means, Xt, yt[:-1], means)
    parts = explore.contrast_parts(means, means, Xt, yt, means)
    with pytest.raises(ValueError, match="out_weight"):
        explore.contrast_state(parts, np.nan)


# --- chapter 6 ---------------------------------------------------------------------------


def test_running_sums_match_the_one_class_version():
    rng = np.random.default_rng(4)
    X = rng.random((50, 7)).astype(np.float32)
    alpha = rng.normal(size=(50, 10))
    counts = np.array([1, 3, 20, 50])
    sums = explore.running_sums(X, alpha, counts)
    assert sums.shape == (4, 7, 10) and sums.dtype == np.float32
    for k in range(10):
        np.testing.assert_allclose(sums[:, :, k], dual.running_sum(X, alpha, k, counts),
                                   rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(sums[-1], X.T @ alpha, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(sums[0], np.outer(X[0], alpha[0]), rtol=1e-6)


@pytest.mark.parametrize("counts", [[0, 5], [5, 3], [5, 5], [10, 51], [], [1.5]])
def test_running_sums_refuse_bad_counts(counts):
    X = np.ones((50, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="counts"):
        explore.running_sums(X, np.zeros((50, 10)), np.array(counts))


def test_running_sums_refuse_mismatched_alpha():
    with pytest.raises(ValueError, match="alpha"):
        explore.running_sums(np.ones((50, 3)), np.zeros((49, 10)), [10])


def test_cosines_known_answers():
    W = np.random.default_rng(5).normal(size=(6, 10))
    sums = np.stack([2 * W, -W, np.zeros_like(W)])
    np.testing.assert_allclose(explore.cosines(sums, W),
                               np.array([[1.0] * 10, [-1.0] * 10, [0.0] * 10]), atol=1e-12)
    W[:, 3] = 0
    with pytest.raises(ValueError, match="all-zero"):
        explore.cosines(sums, W)
    with pytest.raises(ValueError, match="shape"):
        explore.cosines(sums[0], W)


# --- views and players -------------------------------------------------------------------


def test_sgd_view_shows_the_snapshot_of_the_step(run):
    view = explore.SGDView(Figure(), run)
    view.update(15)
    shown = np.array([image.get_array() for image in view.weights.images])
    np.testing.assert_allclose(shown, run.snapshots[15][0].T.reshape(10, 28, 28))
    assert view.marker.get_xdata()[0] == 15
    assert "step 15" in view.ax.readout.get_text()


def test_running_sum_view_switches_class():
    rng = np.random.default_rng(6)
    X, alpha = rng.random((30, 784)).astype(np.float32), rng.normal(size=(30, 10))
    counts = np.array([5, 30])
    sums = explore.running_sums(X, alpha, counts)
    view = explore.RunningSumView(Figure(), counts, sums, sums[-1])
    view.update(0, 3)
    np.testing.assert_allclose(view.im_sum.get_array(), sums[0, :, 3].reshape(28, 28))
    np.testing.assert_allclose(view.line.get_ydata(), explore.cosines(sums, sums[-1])[:, 3])
    with pytest.raises(ValueError):
        view.update(2, 3)


def test_player_embeds_one_frame_per_value_and_closes_its_figure(run):
    before = plt.get_fignums()
    html = explore.player(lambda fig: explore.SGDView(fig, run), [0, 10, 20], dpi=30).data
    assert plt.get_fignums() == before
    assert "<script" in html and html.count("data:image/jpeg;base64") == 3
    with pytest.raises(ValueError, match="frame"):
        explore.player(lambda fig: explore.SGDView(fig, run), [])


def test_view_figure_is_a_pyplot_figure_in_the_given_state(run):
    fig = explore.view_figure(lambda f: explore.SGDView(f, run), 5)
    try:
        assert fig.number in plt.get_fignums()
        np.testing.assert_allclose(fig.axes[1].images[0].get_array(),
                                   run.snapshots[5][0][:, 0].reshape(28, 28))
    finally:
        plt.close(fig)


# --- widgets -----------------------------------------------------------------------------


def controls_and_image(box):
    return list(box.children[0].children), box.children[1]


def test_step_slider_redraws_the_picture(run):
    pytest.importorskip("ipywidgets")
    box = explore.softmax_steps(run)
    (slider,), image = controls_and_image(box)
    assert slider.options[0] == ("0", 0) and len(slider.options) == 5
    first = image.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    slider.value = 20
    assert image.value != first
    slider.value = 0
    assert image.value == first  # the same state draws the same picture


def test_class_dropdown_and_count_slider_redraw_the_picture():
    pytest.importorskip("ipywidgets")
    rng = np.random.default_rng(7)
    X, alpha = rng.random((30, 784)).astype(np.float32), rng.normal(size=(30, 10))
    counts = np.array([5, 30])
    sums = explore.running_sums(X, alpha, counts)
    box = explore.running_sum_explorer(counts, sums, sums[-1])
    (slider, dropdown), image = controls_and_image(box)
    first = image.value
    dropdown.value = 4
    second = image.value
    slider.value = 1
    assert len({first, second, image.value}) == 3


def test_contrast_explorer_starts_where_asked_and_refuses_other_starts():
    pytest.importorskip("ipywidgets")
    X, y = tiny_images()
    means = templates.class_means(X, y)
    others = templates.out_of_class_means(X, y)
    parts = explore.contrast_parts(means, others, X, y, means + 0.1 * others)
    (slider,), _ = controls_and_image(explore.contrast_explorer(parts, [0, 0.5, 1], start=0.5))
    assert slider.value == 0.5
    with pytest.raises(ValueError, match="start"):
        explore.contrast_explorer(parts, [0, 0.5, 1], start=0.3)


def test_slider_redraws_the_picture_in_a_real_kernel():
    """The same check inside an IPython kernel, where the widgets talk over real comms."""
    pytest.importorskip("ipywidgets")
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    source = "\n".join([
        "import numpy as np",
        "from mnistlin import explore",
        "counts = np.array([5, 30])",
        "rng = np.random.default_rng(0)",
        "sums = explore.running_sums(rng.random((30, 784)), rng.normal(size=(30, 10)), counts)",
        "box = explore.running_sum_explorer(counts, sums, sums[-1])",
        "slider, image = box.children[0].children[0], box.children[1]",
        "first = image.value",
        "slider.value = 1",
        "print(first != image.value, len(image.value) > 1000)",
    ])
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    assert outputs and outputs[0]["text"].strip() == "True True", outputs


# --- chapter 1: the separability explorer ------------------------------------------------


def pair_data(seed=8):
    """Digits 0, 1 and 2 as 0-255 images whose first pixel is 10, 100 and 200 plus noise."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1, 2], 20)
    X = rng.integers(0, 30, size=(60, 784)).astype(np.uint8)
    X[:, 0] = np.array([10, 100, 200])[y] + rng.integers(0, 20, size=60)
    return X, y


def first_pixel_cert(kind, threshold, sign=1):
    """A hyperplane on the first pixel: ``sign * 2 * (x[0] - threshold)``."""
    from mnistlin.separability import Certificate

    w = np.zeros(784, dtype=np.int64)
    w[0] = 2 * sign
    return Certificate(kind, w, -2 * sign * threshold, 0, 20, 20)


def pair_table_of(X, y):
    # 0 vs 1 and 0 vs 2 split at 60; 1 vs 2 is "blocked" by a hyperplane at 210, which puts
    # every 2 (200-219) above 200 on the 1 side, so some digits are on the wrong side.
    return {(0, 1): first_pixel_cert("separable", 60, sign=-1),
            (0, 2): first_pixel_cert("separable", 60, sign=-1),
            (1, 2): first_pixel_cert("not separable", 210, sign=-1)}


def test_signed_distances_known_answer():
    cert = first_pixel_cert("separable", 100)
    X = np.zeros((3, 28, 28), dtype=np.uint8)
    X[:, 0, 0] = [0, 100, 255]
    X[2, 5, 5] = 255  # a pixel with zero weight changes nothing
    np.testing.assert_array_equal(explore.signed_distances(cert, X), [-100.0, 0.0, 155.0])


def test_signed_distances_refuse_bad_inputs():
    cert = first_pixel_cert("separable", 100)
    with pytest.raises(ValueError, match="0-255"):
        explore.signed_distances(cert, np.full((2, 784), 256))
    with pytest.raises(ValueError, match="0-255"):
        explore.signed_distances(cert, np.zeros((2, 783), dtype=np.uint8))
    with pytest.raises(ValueError, match="whole numbers"):
        explore.signed_distances(cert, np.full((2, 784), 0.5))
    cert.w = np.zeros(784, dtype=np.int64)
    with pytest.raises(ValueError, match="not all 0"):
        explore.signed_distances(cert, np.zeros((2, 784), dtype=np.uint8))


def test_pair_states_project_each_pair_on_its_hyperplane():
    X, y = pair_data()
    table = pair_table_of(X, y)
    states = explore.PairStates(table, X, y, X[::2], y[::2])
    assert states.pairs == [(0, 1), (0, 2), (1, 2)]
    for (a, b), cert in table.items():
        state = states[(a, b)]
        assert (state.a, state.b, state.kind) == (a, b, cert.kind)
        threshold = 210.0 if a == 1 else 60.0
        np.testing.assert_allclose(state.train_a, threshold - X[y == a, 0].astype(float))
        np.testing.assert_allclose(state.train_b, explore.signed_distances(cert, X[y == b]))
    assert states[(0, 1)].train_errors == 0 and states[(0, 1)].test_acc == 1.0
    wrong = int(np.sum(X[y == 2, 0] <= 210))  # 2s at or below 210 are on the side of 1
    assert 0 < wrong < 20
    assert states[(1, 2)].train_errors == wrong
    test_wrong = int(np.sum(X[::2][y[::2] == 2, 0] <= 210))
    assert states[(1, 2)].test_acc == 1 - test_wrong / 20


def test_pair_states_refuse_bad_inputs():
    X, y = pair_data()
    table = pair_table_of(X, y)
    with pytest.raises(ValueError, match="non-empty dict"):
        explore.PairStates({}, X, y, X, y)
    with pytest.raises(ValueError, match="labels"):
        explore.PairStates(table, X, y[:-1], X, y)
    with pytest.raises(ValueError, match="0-255"):
        explore.PairStates(table, X.astype(np.int64) * 2, y, X, y)
    states = explore.PairStates(table, X, y, X, y)
    for bad in [(1, 0), (3, 4), (0, 10), 1, (0, 1, 2), (0.0, 1)]:
        with pytest.raises(ValueError):
            states[bad]


def test_pair_histograms_keep_the_sides_apart():
    X, y = pair_data()
    states = explore.PairStates(pair_table_of(X, y), X, y, X, y)
    for pair in states.pairs:
        state = states[pair]
        edges, counts_a, counts_b = explore.pair_histograms(state, bins=7)
        assert np.any(np.isclose(edges, 0.0, atol=1e-9))
        assert counts_a.sum() == len(state.train_a) and counts_b.sum() == len(state.train_b)
        right_of_zero = edges[:-1] >= -1e-9
        # Distances of 0 fall in the first bin right of zero; here only 2s can have them.
        wrong = counts_a[~right_of_zero].sum() + counts_b[right_of_zero].sum()
        assert wrong == state.train_errors
        if state.kind == "separable":
            assert not np.any((counts_a > 0) & (counts_b > 0))
    for bad in (1, 2.5, True, "10"):
        with pytest.raises(ValueError, match="bins"):
            explore.pair_histograms(state, bins=bad)


def test_pair_view_draws_the_pair_asked_for():
    X, y = pair_data()
    states = explore.PairStates(pair_table_of(X, y), X, y, X, y)
    view = explore.PairView(Figure(), states, bins=7)
    view.update(1, 2)
    heights = view.step_b.get_data().values
    _, _, counts_b = explore.pair_histograms(states[(1, 2)], bins=7)
    np.testing.assert_array_equal(heights, np.maximum(counts_b, 0.5))
    assert "not separable" in view.readout.get_text()
    view.update((0, 1))  # the widget passes the pair as one value
    assert "0 vs 1: separable" in view.readout.get_text()
    assert "wrong side: 0" in view.readout.get_text()


def test_pair_dropdown_redraws_the_picture():
    pytest.importorskip("ipywidgets")
    X, y = pair_data()
    states = explore.PairStates(pair_table_of(X, y), X, y, X, y)
    box = explore.pair_explorer(states, start=(0, 2))
    (dropdown,), image = controls_and_image(box)
    assert dropdown.value == (0, 2) and len(dropdown.options) == 3
    first = image.value
    dropdown.value = (1, 2)
    assert image.value != first
    dropdown.value = (0, 2)
    assert image.value == first
    with pytest.raises(ValueError, match="start"):
        explore.pair_explorer(states, start=(3, 5))
