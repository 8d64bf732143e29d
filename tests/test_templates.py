"""Tests of mnistlin.templates on small synthetic data with answers known in advance."""

import numpy as np
import pytest

from mnistlin import templates


def tiny_data(n_per_class=3, d=6, seed=0):
    """Random features in [0, 1] with every digit 0-9 present, labels shuffled."""
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.repeat(np.arange(10), n_per_class))
    X = rng.random((y.size, d)).astype(np.float32)
    return X, y


def test_class_means_match_a_loop_over_classes():
    X, y = tiny_data()
    means = templates.class_means(X, y)
    assert means.shape == (6, 10) and means.dtype == np.float32
    for k in range(10):
        np.testing.assert_allclose(means[:, k], X[y == k].mean(axis=0), rtol=1e-6)


def test_class_means_of_one_hot_columns():
    # Each sample of digit k lights pixel k with value k + 1, so the mean of digit k is
    # (k + 1) times the k-th unit vector.
    y = np.repeat(np.arange(10), 2)
    X = np.zeros((20, 10), dtype=np.float32)
    X[np.arange(20), y] = y + 1
    np.testing.assert_array_equal(templates.class_means(X, y), np.diag(np.arange(1.0, 11.0)))


def test_class_means_do_not_wrap_uint8_pixels():
    y = np.repeat(np.arange(10), 3)
    X = np.full((30, 4), 200, dtype=np.uint8)
    np.testing.assert_allclose(templates.class_means(X, y), 200.0)


def test_out_of_class_means_average_every_other_row():
    # Unequal class sizes: the result must weight rows, not the nine class means.
    y = np.random.default_rng(4).permutation(np.r_[np.arange(10), 3, 3, 3, 7])
    X = np.random.default_rng(5).random((y.size, 6)).astype(np.float32)
    out = templates.out_of_class_means(X, y)
    for k in range(10):
        np.testing.assert_allclose(out[:, k], X[y != k].mean(axis=0), rtol=1e-6)


def test_contrast_with_out_weight_zero_equals_the_means():
    X, y = tiny_data()
    np.testing.assert_allclose(
        templates.contrast_templates(X, y, out_weight=0.0), templates.class_means(X, y)
    )


def test_contrast_is_inside_minus_weighted_outside():
    X, y = tiny_data(seed=3)
    inside = templates.class_means(X, y)
    outside = templates.out_of_class_means(X, y)
    np.testing.assert_allclose(
        templates.contrast_templates(X, y, out_weight=0.5), inside - 0.5 * outside, atol=1e-6
    )


def test_offset_lowers_each_score_by_offset_times_template_sum():
    X, y = tiny_data()
    T = templates.class_means(X, y)
    c = 0.3
    shifted = templates.template_scores(X, T, offset=c)
    np.testing.assert_allclose(shifted, (X - c) @ T, atol=1e-5)
    np.testing.assert_allclose(
        shifted, templates.template_scores(X, T) - c * T.sum(axis=0), atol=1e-5
    )


def test_offset_per_pixel():
    X, y = tiny_data()
    T = templates.class_means(X, y)
    offset = np.linspace(0.0, 0.5, X.shape[1])
    np.testing.assert_allclose(templates.template_scores(X, T, offset), (X - offset) @ T,
                               atol=1e-5)


def test_an_offset_can_change_the_winner():
    # Template 1 holds more ink than template 0; x matches template 0's single pixel.
    T = np.zeros((3, 10), dtype=np.float32)
    T[:, 0] = [1.0, 0.0, 0.0]
    T[:, 1] = [0.8, 1.0, 1.0]
    x = np.array([[1.0, 0.3, 0.3]], dtype=np.float32)
    assert templates.predict_templates(x, T)[0] == 1  # 0.8 + 0.6 > 1.0
    assert templates.predict_templates(x, T, offset=0.5)[0] == 0  # 0.5 > 0.3 - 0.4


def test_offset_sweep_matches_predict_templates():
    X, y = tiny_data(n_per_class=5, seed=1)
    T = templates.class_means(X, y)
    offsets = [0.0, 0.2, 0.45]
    expected = [np.mean(templates.predict_templates(X, T, c) == y) for c in offsets]
    np.testing.assert_allclose(templates.offset_sweep(X, y, T, offsets), expected)


def test_nearest_centroid_matches_brute_force_distances():
    X, y = tiny_data(n_per_class=4, d=8, seed=2)
    means = templates.class_means(X, y)
    rng = np.random.default_rng(5)
    queries = rng.random((50, 8)).astype(np.float32)
    distances = [[np.sum((q - means[:, k]) ** 2) for k in range(10)] for q in queries]
    np.testing.assert_array_equal(
        templates.nearest_centroid(queries, means), np.argmin(distances, axis=1)
    )


def test_nearest_centroid_returns_the_class_of_a_centroid_itself():
    X, y = tiny_data()
    means = templates.class_means(X, y)
    np.testing.assert_array_equal(templates.nearest_centroid(means.T, means), np.arange(10))


def test_nearest_centroid_tie_goes_to_the_lower_digit():
    means = np.zeros((2, 10), dtype=np.float32)
    means[:, 3] = [1.0, 0.0]
    means[:, 7] = [1.0, 0.0]
    means[:, 0] = [-5.0, -5.0]
    means[:, [1, 2, 4, 5, 6, 8, 9]] = 9.0
    assert templates.nearest_centroid([[1.0, 0.0]], means)[0] == 3


def test_correlation_of_a_matrix_with_itself_is_one():
    W = np.random.default_rng(0).normal(size=(20, 10))
    np.testing.assert_allclose(templates.weight_correlation(W, W), 1.0)


def test_correlation_ignores_scale_and_shift_and_sees_sign():
    W = np.random.default_rng(1).normal(size=(20, 10))
    np.testing.assert_allclose(templates.weight_correlation(W, 3 * W + 2), 1.0)
    np.testing.assert_allclose(templates.weight_correlation(W, -W), -1.0)


def test_correlation_matches_numpy_corrcoef():
    rng = np.random.default_rng(2)
    A, B = rng.normal(size=(30, 10)), rng.normal(size=(30, 10))
    expected = [np.corrcoef(A[:, k], B[:, k])[0, 1] for k in range(10)]
    np.testing.assert_allclose(templates.weight_correlation(A, B), expected)


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.zeros((10, 3)), np.arange(9), "labels"),
        (np.zeros(10), np.arange(10), "2-D"),
        (np.full((10, 3), np.nan), np.arange(10), "NaN"),
        (np.zeros((10, 3)), np.arange(1, 11), "0-9"),
        (np.zeros((9, 3)), np.arange(9), "no sample"),
    ],
)
def test_class_means_reject_bad_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        templates.class_means(X, y)


def test_bad_template_and_offset_inputs_are_rejected():
    X, y = tiny_data()
    T = templates.class_means(X, y)
    with pytest.raises(ValueError, match="rows"):
        templates.template_scores(X, T[:4])
    with pytest.raises(ValueError, match="offset"):
        templates.template_scores(X, T, offset=np.nan)
    with pytest.raises(ValueError, match="offset"):
        templates.template_scores(X, T, offset=np.zeros(3))
    with pytest.raises(ValueError, match="offsets"):
        templates.offset_sweep(X, y, T, [[0.1, 0.2]])
    with pytest.raises(ValueError, match="out_weight"):
        templates.contrast_templates(X, y, out_weight=float("inf"))
    with pytest.raises(ValueError, match="means"):
        templates.nearest_centroid(X, T[:, :9])


def test_correlation_rejects_mismatch_and_constant_columns():
    W = np.random.default_rng(0).normal(size=(20, 10))
    with pytest.raises(ValueError, match="same shape"):
        templates.weight_correlation(W, W[:10])
    flat = W.copy()
    flat[:, 4] = 1.0
    with pytest.raises(ValueError, match=r"\[4\]"):
        templates.weight_correlation(W, flat)
