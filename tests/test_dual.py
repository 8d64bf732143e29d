"""Tests of mnistlin.dual on small synthetic problems with known answers."""

from types import SimpleNamespace

import numpy as np
import pytest
from scipy.optimize import minimize

from mnistlin import dual


def make_problem(n=60, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d)).astype(np.float32)
    y = rng.integers(0, 10, size=n)
    return X, y


def plain_gd(X, y, steps, learning_rate):
    """Gradient descent on (W, b) itself, in float64, with the residuals recomputed."""
    X = X.astype(np.float64)
    n, d = X.shape
    Y = np.eye(10)[y]
    W, b = np.zeros((d, 10)), np.zeros(10)
    losses = []
    for _ in range(steps):
        R = X @ W + b - Y
        losses.append(0.5 * np.sum(R**2) / n)
        W -= learning_rate * X.T @ R / n
        b -= learning_rate * R.sum(axis=0) / n
    losses.append(0.5 * np.sum((X @ W + b - Y) ** 2) / n)
    return W, b, np.array(losses)


def second_moment_eigenvalue(X):
    Xa = np.hstack([X.astype(np.float64), np.ones((len(X), 1))])
    return np.linalg.eigvalsh(Xa.T @ Xa / len(X))[-1]


def test_gd_coefficients_rebuild_the_weights():
    X, y = make_problem()
    fit = dual.fit_mse_gd_dual(X, y, steps=300)
    assert fit.alpha.shape == (60, 10) and fit.alpha.dtype == np.float32
    W, b = dual.primal_weights(X, fit.alpha)
    assert dual.relative_error(W, fit.W) < 1e-5
    assert dual.relative_error(b, fit.b) < 1e-5


def test_gd_equals_plain_gradient_descent_on_the_weights():
    X, y = make_problem(seed=1)
    fit = dual.fit_mse_gd_dual(X, y, steps=200, learning_rate=0.5 / second_moment_eigenvalue(X))
    W, b, losses = plain_gd(X, y, 200, fit.learning_rate)
    np.testing.assert_allclose(fit.W, W, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(fit.b, b, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(fit.loss, losses, rtol=1e-6)
    Z = X.astype(np.float64) @ W + b
    assert np.array_equal(fit.predict(X), Z.argmax(axis=1))


def test_gd_alpha_is_the_sum_of_the_scaled_residuals():
    X, y = make_problem(n=20, d=3, seed=2)
    lr = 0.1
    fit = dual.fit_mse_gd_dual(X, y, steps=2, learning_rate=lr)
    Y = np.eye(10)[y]
    R0 = -Y  # residual at the all-zero start
    W1 = -lr * X.T.astype(np.float64) @ R0 / 20
    b1 = -lr * R0.sum(axis=0) / 20
    R1 = X @ W1 + b1 - Y
    np.testing.assert_allclose(fit.alpha, -lr / 20 * (R0 + R1), rtol=1e-5, atol=1e-8)


def test_loss_falls_and_the_default_step_is_half_the_stability_limit():
    X, y = make_problem(seed=3)
    fit = dual.fit_mse_gd_dual(X, y, steps=100)
    lam = second_moment_eigenvalue(X)
    assert fit.eigenvalue == pytest.approx(lam, rel=1e-5)
    assert fit.learning_rate == pytest.approx(1 / lam, rel=1e-5)
    assert fit.loss[0] == pytest.approx(0.5)
    assert np.all(np.diff(fit.loss) <= 1e-12)


def test_largest_eigenvalue_matches_numpy():
    X, _ = make_problem(n=80, d=5, seed=4)
    assert dual.largest_eigenvalue(X) == pytest.approx(second_moment_eigenvalue(X), rel=1e-5)


def test_unstable_learning_rate_is_refused():
    X, y = make_problem()
    limit = 2 / second_moment_eigenvalue(X)
    with pytest.raises(ValueError, match="unstable"):
        dual.fit_mse_gd_dual(X, y, steps=10, learning_rate=1.01 * limit)


def exact_softmax_fit(X, y, l2):
    """Minimise mean cross-entropy + l2/2 ||W||^2 to machine precision (float64)."""
    n, d = X.shape
    Y = np.eye(10)[y]

    def f(theta):
        W, b = theta[: 10 * d].reshape(d, 10), theta[10 * d:]
        Z = X @ W + b
        Z -= Z.max(axis=1, keepdims=True)
        P = np.exp(Z)
        norm = P.sum(axis=1, keepdims=True)
        P /= norm
        loss = np.mean(np.log(norm[:, 0]) - Z[np.arange(n), y]) + 0.5 * l2 * np.sum(W**2)
        G = (P - Y) / n
        return loss, np.concatenate([(X.T @ G + l2 * W).ravel(), G.sum(axis=0)])

    res = minimize(f, np.zeros(10 * d + 10), jac=True, method="L-BFGS-B",
                   options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-11})
    return SimpleNamespace(W=res.x[: 10 * d].reshape(d, 10), b=res.x[10 * d:], l2=l2)


def test_softmax_dual_rebuilds_the_weights_of_an_exact_optimum():
    X, y = make_problem(n=40, d=5, seed=5)
    X = X.astype(np.float64)
    model = exact_softmax_fit(X, y, l2=0.05)
    result = dual.softmax_dual(X, y, model)
    assert result.relative_error < 1e-5
    own, other = dual.split_by_class(result.alpha, y)
    assert np.all(own >= 0) and np.all(other <= 0)
    W, _ = dual.primal_weights(X, result.alpha)
    np.testing.assert_allclose(W, model.W, rtol=1e-4, atol=1e-6)


def test_softmax_dual_flags_an_unconverged_fit():
    X, y = make_problem(n=40, d=5, seed=5)
    model = exact_softmax_fit(X.astype(np.float64), y, l2=0.05)
    model.W = 0.5 * model.W
    assert dual.softmax_dual(X, y, model).relative_error > 0.1


def test_running_sum_ends_at_the_weights_and_follows_the_order():
    X, y = make_problem(n=50, seed=6)
    fit = dual.fit_mse_gd_dual(X, y, steps=50)
    order = np.random.default_rng(0).permutation(50)
    sums = dual.running_sum(X, fit.alpha, 3, [1, 7, 20, 50], order=order)
    assert sums.shape == (4, 6)
    assert dual.relative_error(sums[-1], fit.W[:, 3]) < 1e-5
    first = order[:7]
    expected = fit.alpha[first, 3].astype(np.float64) @ X[first].astype(np.float64)
    np.testing.assert_allclose(sums[1], expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(sums[0], fit.alpha[order[0], 3] * X[order[0]], rtol=1e-6)


def test_dual_scores_equal_the_primal_scores():
    X, y = make_problem(seed=7)
    fit = dual.fit_mse_gd_dual(X, y, steps=100)
    X_new = np.random.default_rng(1).random((4, 6)).astype(np.float32)
    expected = X_new.astype(np.float64) @ fit.W + fit.b
    np.testing.assert_allclose(dual.dual_scores(X_new, X, fit.alpha, fit.b), expected,
                               rtol=1e-4, atol=1e-6)


def test_split_by_class():
    alpha = np.arange(30, dtype=np.float32).reshape(3, 10)
    own, other = dual.split_by_class(alpha, [2, 0, 9])
    np.testing.assert_array_equal(own, [2, 10, 29])
    assert other.shape == (27,) and not np.isin([2, 10, 29], other).any()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"steps": 0}, "steps"),
        ({"steps": 2.5}, "steps"),
        ({"learning_rate": -0.1}, "learning_rate"),
        ({"learning_rate": float("nan")}, "learning_rate"),
    ],
)
def test_fit_rejects_bad_settings(kwargs, message):
    X, y = make_problem()
    with pytest.raises(ValueError, match=message):
        dual.fit_mse_gd_dual(X, y, **({"steps": 10} | kwargs))


def test_fit_rejects_bad_data():
    X, y = make_problem()
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        dual.fit_mse_gd_dual(X_nan, y, steps=5)
    with pytest.raises(ValueError, match="labels"):
        dual.fit_mse_gd_dual(X, y[:-1], steps=5)
    with pytest.raises(ValueError, match="0-9"):
        dual.fit_mse_gd_dual(X, np.full(60, 10), steps=5)


def test_bad_coefficients_orders_and_models_are_refused():
    X, y = make_problem(n=20, seed=8)
    alpha = np.zeros((20, 10), dtype=np.float32)
    with pytest.raises(ValueError, match="alpha"):
        dual.primal_weights(X, alpha[:-1])
    with pytest.raises(ValueError, match="increase"):
        dual.running_sum(X, alpha, 0, [5, 3])
    with pytest.raises(ValueError, match="increase"):
        dual.running_sum(X, alpha, 0, [5, 21])
    with pytest.raises(ValueError, match="permutation"):
        dual.running_sum(X, alpha, 0, [5], order=np.zeros(20, dtype=int))
    with pytest.raises(ValueError, match="0-9"):
        dual.running_sum(X, alpha, 10, [5])
    with pytest.raises(ValueError, match="columns"):
        dual.dual_scores(X[:, :3], X, alpha)
    with pytest.raises(ValueError, match="attributes"):
        dual.softmax_dual(X, y, object())
    model = SimpleNamespace(W=np.zeros((6, 10)), b=np.zeros(10), l2=0.0)
    with pytest.raises(ValueError, match="l2"):
        dual.softmax_dual(X, y, model)
    with pytest.raises(ValueError, match="all zeros"):
        dual.relative_error(np.ones(3), np.zeros(3))


def test_overflowing_features_are_named_as_the_problem():
    X = np.full((20, 3), 1e200)  # float64; X.T @ X is about 1e400
    y = np.arange(20) % 10
    for call in (lambda: dual.largest_eigenvalue(X), lambda: dual.fit_mse_gd_dual(X, y, steps=2)):
        with pytest.raises(ValueError, match="too large"):
            with np.errstate(over="ignore", invalid="ignore"):
                call()
