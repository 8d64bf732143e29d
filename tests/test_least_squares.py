"""Tests of mnistlin.least_squares on small synthetic problems with known answers."""

import numpy as np
import pytest

from mnistlin import least_squares as ls


def _labels(n, seed=0):
    """Labels that use every digit, in a shuffled order."""
    rng = np.random.default_rng(seed)
    return rng.permutation(np.arange(n) % 10)


def _centred_lstsq(X, y):
    """Reference: numpy's minimum-norm least squares on centred data, then the bias."""
    Y = ls.one_hot(y).astype(np.float64)
    mean_x, mean_y = X.mean(axis=0), Y.mean(axis=0)
    W = np.linalg.lstsq(X - mean_x, Y - mean_y, rcond=None)[0]
    return W, mean_y - mean_x @ W


# one_hot -----------------------------------------------------------------------------

def test_one_hot_places_a_single_one_per_row():
    Y = ls.one_hot([3, 0, 9])
    assert Y.dtype == np.float32 and Y.shape == (3, 10)
    assert np.array_equal(Y.argmax(axis=1), [3, 0, 9])
    assert np.array_equal(Y.sum(axis=1), [1, 1, 1])


@pytest.mark.parametrize("y", [[0, 10], [-1, 2], [[1, 2]], [0.5, 1]])
def test_one_hot_rejects_bad_labels(y):
    with pytest.raises(ValueError):
        ls.one_hot(y)


# binarize ----------------------------------------------------------------------------

def test_binarize_is_strictly_above_threshold():
    X = np.array([[0.0, 0.25, 0.5, 0.5001, 1.0]], dtype=np.float32)
    assert np.array_equal(ls.binarize(X), [[0, 0, 0, 1, 1]])
    assert np.array_equal(ls.binarize(X, threshold=0.2), [[0, 1, 1, 1, 1]])
    assert np.array_equal(ls.binarize(X, threshold=0), [[0, 1, 1, 1, 1]])


def test_binarize_returns_float32_zeros_and_ones():
    X = np.random.default_rng(1).random((20, 784))
    B = ls.binarize(X)
    assert B.dtype == np.float32 and B.shape == X.shape
    assert set(np.unique(B)) <= {0.0, 1.0}
    assert np.array_equal(B == 1, X > 0.5)


@pytest.mark.parametrize("X", [
    np.full((2, 784), 255, dtype=np.uint8),      # raw pixels, not features
    np.array([[-0.1, 0.5]]),
    np.array([[np.nan, 0.5]]),
    np.zeros(784),                               # one image, not a 2-D batch
])
def test_binarize_rejects_bad_features(X):
    with pytest.raises(ValueError):
        ls.binarize(X)


@pytest.mark.parametrize("threshold", [-0.1, 1.0, 2, np.nan, "0.5", None, True])
def test_binarize_rejects_bad_threshold(threshold):
    with pytest.raises(ValueError):
        ls.binarize(np.zeros((1, 4)), threshold=threshold)


# shared_area -------------------------------------------------------------------------

def test_shared_area_counts_the_overlap_of_two_rectangles():
    a = np.zeros((28, 28))
    b = np.zeros((28, 28))
    a[5:15, 5:15] = 1       # 10 x 10
    b[10:20, 12:22] = 1     # overlaps rows 10-14, columns 12-14: 5 x 3
    assert ls.shared_area(a, b) == 15
    assert ls.shared_area(b, a) == 15
    assert ls.shared_area(a, a) == 100
    assert ls.shared_area(a.ravel(), b.ravel()) == int(a.ravel() @ b.ravel())


def test_shared_area_of_disjoint_images_is_zero():
    a = np.zeros(784, dtype=np.float32)
    b = np.zeros(784, dtype=np.float32)
    a[:10], b[10:30] = 1, 1
    assert ls.shared_area(a, b) == 0
    assert isinstance(ls.shared_area(a, b), int)


@pytest.mark.parametrize("a, b", [
    (np.zeros((28, 28)), np.zeros(784)),           # shapes differ
    (np.full(4, 0.5), np.ones(4)),                 # gray, not binary
    (np.array([1, 2, 0]), np.array([1, 1, 0])),    # counts, not ink
    (np.array([1.0, np.nan]), np.array([1, 1])),
])
def test_shared_area_rejects_non_binary_or_mismatched_images(a, b):
    with pytest.raises(ValueError):
        ls.shared_area(a, b)


# fit_least_squares: known answers ----------------------------------------------------

def test_recovers_a_planted_map_without_bias():
    # X = Y @ A with A invertible, so Y = X @ inv(A) exactly and uniquely.
    rng = np.random.default_rng(2)
    A = rng.normal(size=(10, 10))
    y = _labels(60)
    X = ls.one_hot(y).astype(np.float64) @ A
    model = ls.fit_least_squares(X, y, bias=False)
    assert np.allclose(model.W, np.linalg.inv(A), atol=1e-5)
    assert np.array_equal(model.b, np.zeros(10))


def test_recovers_a_planted_map_with_bias():
    # [X, 1] = Y @ [A, 1] with [A, 1] invertible: [W; b] is its inverse.
    rng = np.random.default_rng(3)
    A = rng.normal(size=(10, 9))
    y = _labels(80)
    X = ls.one_hot(y).astype(np.float64) @ A
    expected = np.linalg.inv(np.hstack([A, np.ones((10, 1))]))
    model = ls.fit_least_squares(X, y)
    assert np.allclose(model.W, expected[:9], atol=1e-5)
    assert np.allclose(model.b, expected[9], atol=1e-5)
    assert np.allclose(X @ model.W + model.b, ls.one_hot(y), atol=1e-5)


def test_agrees_with_numpy_lstsq_on_a_full_rank_design():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 20))
    y = _labels(300, seed=4)
    Y = ls.one_hot(y).astype(np.float64)
    no_bias = ls.fit_least_squares(X, y, bias=False)
    assert np.allclose(no_bias.W, np.linalg.lstsq(X, Y, rcond=None)[0], atol=1e-5)
    with_bias = ls.fit_least_squares(X, y)
    theta = np.linalg.lstsq(np.hstack([X, np.ones((300, 1))]), Y, rcond=None)[0]
    assert np.allclose(with_bias.W, theta[:20], atol=1e-5)
    assert np.allclose(with_bias.b, theta[20], atol=1e-5)


def test_singular_design_gives_the_minimum_norm_solution():
    # A blank column (like MNIST's border), a duplicated column and a column inked in a
    # single image that duplicates another single-image column: X.T @ X is singular.
    rng = np.random.default_rng(5)
    X = (rng.random((200, 12)) > 0.6).astype(np.float64)
    X[:, 0] = 0
    X[:, 5] = X[:, 4]
    X[:, 10:] = 0
    X[7, 10:] = 1
    y = _labels(200, seed=5)
    model = ls.fit_least_squares(X, y)
    W_ref, b_ref = _centred_lstsq(X, y)
    assert np.allclose(model.W, W_ref, atol=1e-5)
    assert np.allclose(model.b, b_ref, atol=1e-5)
    assert np.all(model.W[0] == 0)                       # a blank pixel gets no weight
    assert np.allclose(model.W[4], model.W[5])           # twins share the weight equally
    no_bias = ls.fit_least_squares(X, y, bias=False)
    Y = ls.one_hot(y).astype(np.float64)
    assert np.allclose(no_bias.W, np.linalg.lstsq(X, Y, rcond=None)[0], atol=1e-5)


def test_constant_feature_goes_into_the_bias_not_the_weights():
    rng = np.random.default_rng(6)
    X = rng.random((100, 5))
    X[:, 2] = 0.7
    y = _labels(100, seed=6)
    model = ls.fit_least_squares(X, y)
    assert np.allclose(model.W[2], 0, atol=1e-6)
    W_ref, b_ref = _centred_lstsq(X, y)
    assert np.allclose(model.W, W_ref, atol=1e-5) and np.allclose(model.b, b_ref, atol=1e-5)


def test_float32_binary_features_match_a_float64_reference():
    rng = np.random.default_rng(7)
    X = (rng.random((2000, 40)) > 0.8).astype(np.float32)
    y = _labels(2000, seed=7)
    model = ls.fit_least_squares(X, y)
    assert model.W.dtype == np.float32 and model.b.dtype == np.float32
    assert model.W.shape == (40, 10) and model.b.shape == (10,)
    W_ref, b_ref = _centred_lstsq(X.astype(np.float64), y)
    assert np.allclose(model.W, W_ref, atol=1e-5)
    assert np.allclose(model.b, b_ref, atol=1e-5)


def test_l2_matches_the_ridge_normal_equations():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(150, 8))
    y = _labels(150, seed=8)
    l2 = 0.3
    Xc = X - X.mean(axis=0)
    Y = ls.one_hot(y).astype(np.float64)
    W_ref = np.linalg.solve(Xc.T @ Xc + 150 * l2 * np.eye(8), Xc.T @ (Y - Y.mean(axis=0)))
    model = ls.fit_least_squares(X, y, l2=l2)
    assert np.allclose(model.W, W_ref, atol=1e-5)
    assert np.allclose(model.b, Y.mean(axis=0) - X.mean(axis=0) @ W_ref, atol=1e-5)
    plain = ls.fit_least_squares(X, y)
    assert np.linalg.norm(model.W) < np.linalg.norm(plain.W)


def test_normal_equations_of_binary_pixels_are_counts():
    X = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1]], dtype=np.float32)
    eq = ls.normal_equations(X, [2, 2, 5])
    assert np.array_equal(eq.gram, [[3, 2, 1], [2, 2, 1], [1, 1, 1]])
    assert np.array_equal(eq.sums, [3, 2, 1])
    assert np.array_equal(eq.cross[:, 2], [2, 1, 0]) and np.array_equal(eq.cross[:, 5], [1, 1, 1])
    assert eq.counts[2] == 2 and eq.counts[5] == 1 and eq.n == 3


def test_normal_equations_do_not_depend_on_the_block_size(monkeypatch):
    rng = np.random.default_rng(9)
    X = rng.random((50, 6)).astype(np.float32)
    y = _labels(50, seed=9)
    whole = ls.normal_equations(X, y)
    monkeypatch.setattr(ls, "_CHUNK", 7)
    blocks = ls.normal_equations(X, y)
    assert np.allclose(whole.gram, blocks.gram, rtol=1e-6)
    assert np.allclose(whole.cross, blocks.cross, rtol=1e-6)


# gradient descent --------------------------------------------------------------------

def _descend(X, y, steps, bias):
    """Reference: the plain loop, step 1 / L from zero."""
    n = len(X)
    A = np.hstack([X, np.ones((n, 1))]) if bias else X
    Y = ls.one_hot(y).astype(np.float64)
    rate = 1 / np.linalg.eigvalsh(A.T @ A / n).max()
    theta = np.zeros((A.shape[1], 10))
    for _ in range(steps):
        theta -= rate * A.T @ (A @ theta - Y) / n
    return theta


@pytest.mark.parametrize("bias", [True, False])
def test_gradient_descent_matches_the_loop(bias):
    rng = np.random.default_rng(10)
    X = (rng.random((120, 15)) > 0.5).astype(np.float64)
    X[:, 3] = 0
    y = _labels(120, seed=10)
    models = ls.gradient_descent(ls.normal_equations(X, y), [0, 1, 5, 40], bias=bias)
    assert sorted(models) == [0, 1, 5, 40]
    assert np.all(models[0].W == 0) and np.all(models[0].b == 0)
    for t in (1, 5, 40):
        theta = _descend(X, y, t, bias)
        assert np.allclose(models[t].W, theta[:15], atol=1e-5)
        if bias:
            assert np.allclose(models[t].b, theta[15], atol=1e-5)


def test_gradient_descent_approaches_least_squares():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(200, 6))
    y = _labels(200, seed=11)
    eq = ls.normal_equations(X, y)
    exact = ls.solve_normal_equations(eq)
    far = ls.gradient_descent(eq, 100_000)[100_000]
    early = ls.gradient_descent(eq, 2)[2]
    assert np.allclose(far.W, exact.W, atol=1e-5) and np.allclose(far.b, exact.b, atol=1e-5)
    assert not np.allclose(early.W, exact.W, atol=1e-3)


# bad input ---------------------------------------------------------------------------

@pytest.mark.parametrize("X, y", [
    (np.zeros((5, 3)), [0, 1, 2]),                 # lengths differ
    (np.full((3, 2), np.nan), [0, 1, 2]),
    (np.zeros((3, 2)), [0, 1, 10]),                # label outside 0-9
    (np.zeros((3, 2)), [0.0, 1.5, 2.0]),
    (np.zeros(3), [0, 1, 2]),                      # 1-D features
    (np.zeros((0, 3)), []),
])
def test_fit_rejects_bad_data(X, y):
    with pytest.raises(ValueError):
        ls.fit_least_squares(X, y)


@pytest.mark.parametrize("kwargs", [
    {"l2": -1.0}, {"l2": np.inf}, {"l2": "0"}, {"bias": 1}, {"bias": "yes"},
])
def test_fit_rejects_bad_options(kwargs):
    with pytest.raises(ValueError):
        ls.fit_least_squares(np.eye(10), np.arange(10), **kwargs)


def test_solvers_reject_bad_tables_and_steps():
    eq = ls.normal_equations(np.eye(10), np.arange(10))
    with pytest.raises(ValueError):
        ls.solve_normal_equations((eq.gram, eq.cross))
    with pytest.raises(ValueError):
        ls.gradient_descent(eq, [-1])
    with pytest.raises(ValueError):
        ls.gradient_descent(eq, [2.5])
