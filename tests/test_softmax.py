"""Tests of mnistlin.softmax on small synthetic problems with known answers."""

import warnings

import numpy as np
import pytest

from mnistlin.softmax import (
    cross_entropy,
    fit_softmax,
    fit_softmax_sgd,
    log_softmax,
    loss_and_gradient,
    softmax,
)


def blobs(n_per_class=30, d=6, spread=0.3, seed=0):
    """Ten well separated Gaussian blobs, one per digit, in ``d`` dimensions."""
    rng = np.random.default_rng(seed)
    centres = 3.0 * rng.standard_normal((10, d))
    y = np.repeat(np.arange(10), n_per_class)
    X = centres[y] + spread * rng.standard_normal((len(y), d))
    return X.astype(np.float32), y


# softmax and log_softmax ----------------------------------------------------------------

def test_softmax_is_finite_and_exact_for_huge_logits():
    Z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, 0.0]])
    P = softmax(Z)
    assert np.isfinite(P).all()
    np.testing.assert_allclose(P, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0]])


def test_log_softmax_is_finite_for_huge_logits():
    np.testing.assert_allclose(log_softmax([[1000.0, -1000.0]]), [[0.0, -2000.0]])


def test_softmax_rows_sum_to_one_and_match_the_formula():
    Z = np.random.default_rng(1).normal(scale=5, size=(50, 10))
    P = softmax(Z)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    naive = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(P, naive, rtol=1e-10)
    np.testing.assert_allclose(log_softmax(Z), np.log(naive), rtol=1e-10, atol=1e-12)


def test_softmax_ignores_a_constant_added_to_a_row():
    Z = np.random.default_rng(2).normal(size=(4, 10))
    np.testing.assert_allclose(softmax(Z + 123.0), softmax(Z), rtol=1e-9)


def test_softmax_keeps_float32_and_accepts_a_single_row():
    P = softmax(np.zeros((3, 10), dtype=np.float32))
    assert P.dtype == np.float32
    p = softmax([0.0, np.log(3.0)])
    assert p.shape == (2,)
    np.testing.assert_allclose(p, [0.25, 0.75])


# loss and gradient ----------------------------------------------------------------------

def test_cross_entropy_of_zero_weights_is_log_ten():
    X, y = blobs()
    assert cross_entropy(X, y, np.zeros((X.shape[1], 10))) == pytest.approx(np.log(10))


def test_cross_entropy_matches_the_definition():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20, 4))
    y = rng.integers(0, 10, 20)
    W, b = rng.normal(size=(4, 10)), rng.normal(size=10)
    Z = X @ W + b
    expected = -np.mean(np.log(np.exp(Z[np.arange(20), y]) / np.exp(Z).sum(axis=1)))
    assert cross_entropy(X, y, W, b) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_gradient_matches_finite_differences(l2):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(15, 3))
    y = rng.integers(0, 10, 15)
    W, b = rng.normal(size=(3, 10)), rng.normal(size=10)
    loss, dW, db = loss_and_gradient(X, y, W, b, l2=l2)
    penalty = 0.5 * l2 * np.sum(W**2)
    assert loss == pytest.approx(cross_entropy(X, y, W, b) + penalty, rel=1e-10)
    h = 1e-6
    for (i, k) in [(0, 0), (1, 7), (2, 9)]:
        E = np.zeros_like(W)
        E[i, k] = h
        up, _, _ = loss_and_gradient(X, y, W + E, b, l2=l2)
        down, _, _ = loss_and_gradient(X, y, W - E, b, l2=l2)
        assert dW[i, k] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-8)
    for k in (0, 5):
        e = np.zeros(10)
        e[k] = h
        up, _, _ = loss_and_gradient(X, y, W, b + e, l2=l2)
        down, _, _ = loss_and_gradient(X, y, W, b - e, l2=l2)
        assert db[k] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-8)


# fit_softmax ----------------------------------------------------------------------------

def test_fit_softmax_separates_blobs_and_generalises():
    X, y = blobs(seed=5)
    X_new, y_new = blobs(seed=5, n_per_class=10)  # same centres, fresh points
    model = fit_softmax(X, y, l2=1e-3)
    assert model.converged
    assert model.W.shape == (6, 10) and model.W.dtype == np.float32
    assert model.b.shape == (10,) and model.b.dtype == np.float32
    assert np.mean(model.predict(X) == y) == 1.0
    assert np.mean(model.predict(X_new) == y_new) >= 0.98
    assert abs(model.b.sum()) < 1e-4 * np.abs(model.b).max()  # as documented


def test_fit_softmax_reaches_a_point_of_zero_gradient():
    X, y = blobs(spread=2.0, seed=6)  # overlapping blobs: a genuine interior optimum
    model = fit_softmax(X, y, l2=1e-2, tol=1e-10)
    assert model.converged and model.n_iter > 0
    _, dW0, _ = loss_and_gradient(X, y, np.zeros((6, 10)), l2=1e-2)
    loss, dW, db = loss_and_gradient(X.astype(np.float64), y, model.W, model.b, l2=1e-2)
    assert max(np.abs(dW).max(), np.abs(db).max()) < 1e-4 < 1e-3 * np.abs(dW0).max()
    assert model.loss == pytest.approx(loss, rel=1e-5)


def test_without_information_the_fit_predicts_class_frequencies():
    # Constant zero features carry no information: the best model gives every digit its
    # frequency in the training labels, whatever the penalty on W.
    counts = np.arange(1, 11)
    y = np.repeat(np.arange(10), counts)
    model = fit_softmax(np.zeros((len(y), 3), dtype=np.float32), y, l2=0.1)
    np.testing.assert_allclose(softmax(model.b), counts / counts.sum(), atol=1e-4)
    np.testing.assert_allclose(model.W, 0.0)


def test_a_larger_penalty_gives_smaller_weights():
    X, y = blobs(spread=1.0, seed=7)
    weak, strong = fit_softmax(X, y, l2=1e-3), fit_softmax(X, y, l2=1.0)
    assert np.linalg.norm(strong.W) < np.linalg.norm(weak.W)


def test_predict_proba_rows_are_probabilities():
    X, y = blobs(seed=8)
    P = fit_softmax(X, y, l2=1e-2).predict_proba(X)
    assert P.shape == (len(X), 10)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-5)


# fit_softmax_sgd ------------------------------------------------------------------------

def test_sgd_learns_blobs_and_records_every_step():
    X, y = blobs(n_per_class=50, seed=9)
    X_test, y_test = blobs(n_per_class=10, seed=9)
    run = fit_softmax_sgd(X, y, X_test, y_test, batch_size=16, steps=120,
                          learning_rate=0.1, snapshot_every=50, eval_size=200)
    h = run.history
    assert set(h) == {"step", "train_loss", "train_acc", "test_loss", "test_acc"}
    for values in h.values():
        assert values.shape == (121,)
    np.testing.assert_array_equal(h["step"], np.arange(121))
    assert h["test_loss"][0] == pytest.approx(np.log(10))
    assert h["train_loss"][-1] < 0.5 * h["train_loss"][0]
    assert h["test_acc"][-1] >= 0.95
    assert sorted(run.snapshots) == [0, 50, 100, 120]
    W_last, b_last = run.snapshots[120]
    np.testing.assert_array_equal(W_last, run.W)
    np.testing.assert_array_equal(b_last, run.b)
    np.testing.assert_array_equal(run.snapshots[0][0], 0.0)
    test_acc = np.mean(run.predict(X_test) == y_test)
    assert h["test_acc"][-1] == pytest.approx(test_acc)


def test_sgd_is_reproducible_with_a_seed():
    X, y = blobs(spread=2.0, seed=10)
    kwargs = dict(batch_size=8, steps=30, learning_rate=0.05, eval_size=100)
    a = fit_softmax_sgd(X, y, seed=3, **kwargs)
    b = fit_softmax_sgd(X, y, seed=3, **kwargs)
    c = fit_softmax_sgd(X, y, seed=4, **kwargs)
    np.testing.assert_array_equal(a.W, b.W)
    np.testing.assert_array_equal(a.history["train_loss"], b.history["train_loss"])
    assert not np.array_equal(a.W, c.W)


def test_sgd_without_a_test_set_records_only_training_curves():
    X, y = blobs(seed=11)
    run = fit_softmax_sgd(X, y, steps=5, eval_size=50)
    assert set(run.history) == {"step", "train_loss", "train_acc"}


def test_sgd_training_curves_use_the_whole_set_when_it_is_small():
    X, y = blobs(seed=12)
    run = fit_softmax_sgd(X, y, steps=7, learning_rate=0.1, batch_size=10)
    assert run.history["train_loss"][-1] == pytest.approx(cross_entropy(X, y, run.W, run.b),
                                                          rel=1e-5)


# bad inputs -----------------------------------------------------------------------------

@pytest.mark.parametrize("Z", [np.array([[0.0, np.nan]]), np.zeros((2, 2, 2)), [["a", "b"]],
                               np.zeros((1, 0))])
def test_softmax_rejects_bad_scores(Z):
    with pytest.raises(ValueError):
        softmax(Z)
    with pytest.raises(ValueError):
        log_softmax(Z)


def test_loss_rejects_bad_inputs():
    X, y = blobs()
    W = np.zeros((6, 10))
    with pytest.raises(ValueError, match="labels 0-9"):
        cross_entropy(X, np.where(y == 9, 10, y), W)
    with pytest.raises(ValueError, match="samples"):
        cross_entropy(X, y[:-1], W)
    with pytest.raises(ValueError, match="rows"):
        cross_entropy(X, y, np.zeros((5, 10)))
    with pytest.raises(ValueError, match="NaN"):
        loss_and_gradient(np.full_like(X, np.nan), y, W)
    with pytest.raises(ValueError, match="l2"):
        loss_and_gradient(X, y, W, l2=-1.0)


@pytest.mark.parametrize("kwargs", [dict(l2=-1.0), dict(l2=np.nan), dict(max_iter=0),
                                    dict(tol=0.0), dict(max_iter=2.5)])
def test_fit_softmax_rejects_bad_settings(kwargs):
    X, y = blobs()
    with pytest.raises(ValueError):
        fit_softmax(X, y, **kwargs)


def test_fit_softmax_rejects_bad_data():
    X, y = blobs()
    with pytest.raises(ValueError):
        fit_softmax(X[:, :, None], y)
    with pytest.raises(ValueError):
        fit_softmax(X, y.astype(float) + 0.5)
    with pytest.raises(ValueError):
        fit_softmax(X, y[:10])


@pytest.mark.parametrize("kwargs", [dict(batch_size=0), dict(batch_size=10_000),
                                    dict(steps=0), dict(learning_rate=-0.1),
                                    dict(learning_rate=np.inf), dict(snapshot_every=0),
                                    dict(eval_size=0), dict(seed=1.5), dict(steps=True)])
def test_sgd_rejects_bad_settings(kwargs):
    X, y = blobs()
    with pytest.raises(ValueError):
        fit_softmax_sgd(X, y, **kwargs)


def test_sgd_rejects_a_bad_test_set():
    X, y = blobs()
    with pytest.raises(ValueError, match="both"):
        fit_softmax_sgd(X, y, X_test=X)
    with pytest.raises(ValueError, match="columns"):
        fit_softmax_sgd(X, y, X[:, :4], y)
    with pytest.raises(ValueError, match="y_test"):
        fit_softmax_sgd(X, y, X, y[:5])


def test_sgd_reports_divergence_instead_of_returning_nan():
    X, y = blobs(seed=13)
    with np.errstate(all="ignore"), pytest.raises(ValueError, match="diverged"):
        with pytest.warns(UserWarning, match="to_features"):  # huge features draw it too
            fit_softmax_sgd(1e30 * X, y, steps=20, learning_rate=1e6)


def test_sgd_training_does_not_depend_on_what_is_evaluated():
    X, y = blobs(spread=2.0, seed=14)
    kwargs = dict(batch_size=8, steps=25, learning_rate=0.05, seed=2)
    a = fit_softmax_sgd(X, y, eval_size=20, **kwargs)
    b = fit_softmax_sgd(X, y, X[:50], y[:50], eval_size=200, **kwargs)
    np.testing.assert_array_equal(a.W, b.W)
    np.testing.assert_array_equal(a.b, b.b)


@pytest.mark.parametrize("fit", [fit_softmax, fit_softmax_sgd])
def test_raw_pixels_draw_a_warning(fit):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(40, 6)).astype(np.float32)
    y = np.arange(40) % 10
    short = {"steps": 2, "batch_size": 8} if fit is fit_softmax_sgd else {"max_iter": 2}
    with pytest.warns(UserWarning, match="to_features"):
        fit(X, y, **short)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit(X / 255, y, **short)
