"""Tests of mnistlin.separability on tiny point sets whose answer is known."""

import gzip
import json
import math

import numpy as np
import pytest

from mnistlin import separability as sep

XOR_A = np.array([[0, 0], [1, 1]])
XOR_B = np.array([[0, 1], [1, 0]])


def test_xor_is_not_separable_with_an_exact_certificate():
    cert = sep.separate(XOR_A, XOR_B)
    assert cert.kind == "not separable"
    assert cert.exact and cert.margin_bound == 0.0
    assert cert.verify(XOR_A, XOR_B)
    # The midpoint of each diagonal is the centre: equal weights on all four points.
    assert set(cert.lam_a) | set(cert.lam_b) == {cert.lam_a[0]}
    assert cert.train_errors >= 1


def test_two_clouds_are_separated_by_a_checked_hyperplane():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 50, size=(40, 5))
    b = rng.integers(100, 150, size=(30, 5))
    cert = sep.separate(a, b)
    assert cert.kind == "separable"
    assert cert.verify(a, b)
    assert cert.w.dtype == np.int64
    assert np.all(cert.decision(a) > 0) and np.all(cert.decision(b) < 0)
    assert cert.train_errors == 0


def test_a_point_with_both_labels_is_not_separable():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 10, size=(6, 3))
    b = np.vstack([rng.integers(20, 30, size=(6, 3)), a[2]])
    cert = sep.separate(a, b)
    assert cert.kind == "not separable" and cert.exact
    assert cert.verify(a, b)
    # The shared point alone is a certificate; a vertex solution finds it.
    assert list(cert.subset_a) == [2] and list(cert.subset_b) == [6]


def test_a_hard_subset_proves_a_large_set_not_separable():
    # Many easy points far apart, and one point of B inside the hull of a triangle of A.
    rng = np.random.default_rng(2)
    far_a = rng.integers(0, 30, size=(300, 2))
    far_b = rng.integers(200, 230, size=(300, 2))
    a = np.vstack([far_a, [[100, 100], [120, 100], [110, 120]]])
    b = np.vstack([far_b, [[110, 107]]])
    cert = sep.separate(a, b, max_iter=5)
    assert cert.kind == "not separable" and cert.exact
    assert cert.verify(a, b)
    used = len(cert.subset_a) + len(cert.subset_b)
    assert used < len(a) + len(b)
    assert 300 in cert.subset_b


def test_separable_images_pass_as_uint8_images():
    images = np.zeros((4, 28, 28), dtype=np.uint8)
    images[0, 3, 3] = images[1, 3, 4] = 255
    images[2, 20, 20] = images[3, 21, 20] = 200
    cert = sep.separate(images[:2], images[2:])
    assert cert.kind == "separable" and cert.verify(images[:2], images[2:])
    assert cert.w.shape == (784,)


def test_verify_catches_a_tampered_hyperplane():
    a, b = np.array([[0, 0], [1, 0]]), np.array([[5, 5], [6, 5]])
    cert = sep.separate(a, b)
    assert cert.verify(a, b)
    cert.w = -cert.w
    assert not cert.verify(a, b)


def test_verify_catches_tampered_farkas_weights():
    cert = sep.separate(XOR_A, XOR_B)
    cert.lam_a = np.array([cert.lam_a[0] + 1, cert.lam_a[1]], dtype=object)
    assert not cert.verify(XOR_A, XOR_B)
    cert = sep.separate(XOR_A, XOR_B)
    cert.lam_b = np.array([-v for v in cert.lam_b], dtype=object)
    assert not cert.verify(XOR_A, XOR_B)
    cert = sep.separate(XOR_A, XOR_B)
    cert.subset_b = np.array([0, 5])
    assert not cert.verify(XOR_A, XOR_B)


def test_verify_rejects_other_data_and_undecided():
    cert = sep.separate(XOR_A, XOR_B)
    assert not cert.verify(XOR_A, np.array([[0, 1], [1, 0], [3, 3]]))
    assert not cert.verify(XOR_A, np.array([[0, 2], [1, 0]]))
    undecided = sep.Certificate("undecided", np.zeros(2, dtype=np.int64), 0, 1, 2, 2)
    assert not undecided.verify(XOR_A, XOR_B)


def test_inexact_farkas_weights_prove_only_a_margin_bound():
    # Hand-made weights off by one unit: the residual is tiny but not zero.
    cert = sep.separate(XOR_A, XOR_B)
    big = 2**40
    cert.lam_a = np.array([big, big + 1], dtype=object)
    cert.lam_b = np.array([big, big], dtype=object)
    assert not cert.verify(XOR_A, XOR_B)  # exact is claimed, residual is not zero
    cert.exact = False
    cert.margin_bound = math.sqrt(3) / (4 * big + 1)  # |r| = |(1, 1, 1)|
    assert cert.verify(XOR_A, XOR_B)
    cert.margin_bound /= 2
    assert not cert.verify(XOR_A, XOR_B)


@pytest.mark.parametrize("bad", [
    np.array([[0.5, 1.0]]),
    np.array([[np.nan, 1.0]]),
    np.zeros((0, 2)),
    np.zeros(3),
    np.array([["a", "b"]]),
])
def test_bad_points_raise(bad):
    with pytest.raises(ValueError):
        sep.separate(bad, XOR_B)


def test_mismatched_columns_and_options_raise():
    with pytest.raises(ValueError, match="columns"):
        sep.separate(XOR_A, np.zeros((2, 3), dtype=int))
    with pytest.raises(ValueError, match="max_iter"):
        sep.separate(XOR_A, XOR_B, max_iter=0)


def test_pair_table_on_three_digits():
    rng = np.random.default_rng(3)
    images = np.zeros((9, 28, 28), dtype=np.uint8)
    labels = np.repeat([0, 1, 2], 3)
    for i, digit in enumerate(labels):
        images[i, 5 + 5 * digit, 5 + rng.integers(0, 3)] = 255
    table = sep.pair_table(images, labels)
    assert set(table) == {(0, 1), (0, 2), (1, 2)}
    assert all(c.kind == "separable" for c in table.values())
    assert table[(0, 2)].verify(images[labels == 0], images[labels == 2])
    kinds = sep.kind_matrix(table)
    assert kinds[0, 1] == kinds[1, 0] == 1 and np.isnan(kinds[0, 0]) and np.isnan(kinds[5, 6])
    with pytest.raises(ValueError, match="must be a Certificate"):
        sep.kind_matrix({(0, 1): "separable"})
    with pytest.raises(ValueError, match="pairs of digits"):
        sep.kind_matrix({0: table[(0, 1)]})
    with pytest.raises(ValueError, match="dict"):
        sep.kind_matrix([table[(0, 1)]])
    with pytest.raises(ValueError):
        sep.pair_table(images, labels[:5])
    with pytest.raises(ValueError):
        sep.pair_table(images[:3], labels[:3])


def test_cover_count_known_values():
    # n <= d: every labeling is separable; n = 2d: exactly half are.
    assert sep.cover_count(3, 3) == 2**3
    assert sep.cover_count(4, 3) == 14  # 2 * (1 + 3 + 3)
    for d in (1, 2, 5, 10):
        assert sep.cover_fraction(2 * d, d) == pytest.approx(0.5)
    assert sep.cover_fraction(2000, 785) < 1e-10 < sep.cover_fraction(1500, 785)
    with pytest.raises(ValueError):
        sep.cover_count(0, 3)
    with pytest.raises(ValueError):
        sep.cover_count(3, 2.5)


def test_cover_count_matches_separate_in_the_plane():
    # 4 points in general position in the plane, hyperplanes with a bias (3 parameters):
    # of the 16 labelings, exactly cover_count(4, 3) = 14 are separable.
    points = np.array([[0, 0], [4, 1], [1, 5], [6, 6]])
    separable = 0
    for mask in range(16):
        labels = np.array([(mask >> i) & 1 for i in range(4)], dtype=bool)
        if labels.all() or not labels.any():
            separable += 1
            continue
        cert = sep.separate(points[labels], points[~labels])
        assert cert.kind != "undecided" and cert.verify(points[labels], points[~labels])
        separable += cert.kind == "separable"
    assert separable == sep.cover_count(4, 3)


def _three_classes():
    # Digits 0 and 1 lie far apart; one point of digit 2 repeats a point of digit 1, so
    # the pair 1-2 is not separable and the other two pairs are.
    rng = np.random.default_rng(4)
    points = np.vstack([rng.integers(0, 20, size=(8, 3)), rng.integers(100, 120, size=(8, 3)),
                        rng.integers(200, 220, size=(8, 3))])
    points[-1] = points[8]
    return points, np.repeat([0, 1, 2], 8)


def test_pair_table_cache_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("MNISTLIN_CACHE_DIR", str(tmp_path))
    points, labels = _three_classes()
    first = sep.pair_table(points, labels, cache=True)
    assert [c.kind for c in first.values()] == ["separable", "separable", "not separable"]
    assert not any(c.from_cache for c in first.values())
    assert len(list(tmp_path.glob("separability-*.json.gz"))) == 1
    assert not list(tmp_path.glob("*.tmp"))
    second = sep.pair_table(points, labels, cache=True)
    assert all(c.from_cache for c in second.values())
    for (a, b), cert in second.items():
        assert cert.kind == first[(a, b)].kind
        assert cert.verify(points[labels == a], points[labels == b])
    assert second[(1, 2)].exact
    # Other data (one point moved) has another key: nothing is read from the cache.
    moved = points.copy()
    moved[0, 0] += 1
    assert not any(c.from_cache for c in sep.pair_table(moved, labels, cache=True).values())


def _edit_cache(path, edit):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        stored = json.load(f)
    edit(stored["pairs"])
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump(stored, f)


def test_tampered_cache_entries_are_rejected_and_searched_again(tmp_path, monkeypatch):
    monkeypatch.setenv("MNISTLIN_CACHE_DIR", str(tmp_path))
    points, labels = _three_classes()
    sep.pair_table(points, labels, cache=True)
    path = next(tmp_path.glob("separability-*.json.gz"))

    def edit(pairs):
        pairs["0-1"]["w"] = [-v for v in pairs["0-1"]["w"]]  # a hyperplane the wrong way
        pairs["1-2"]["lam_a"][0] = hex(int(pairs["1-2"]["lam_a"][0], 16) + 1)
        pairs["1-2"]["exact"] = False
        pairs["1-2"]["margin_bound"] = 1e300  # a claim the weights must not be trusted for
        pairs["0-2"]["kind"] = "not separable"

    _edit_cache(path, edit)
    table = sep.pair_table(points, labels, cache=True)
    assert not any(c.from_cache for c in table.values())
    assert [c.kind for c in table.values()] == ["separable", "separable", "not separable"]
    for (a, b), cert in table.items():
        assert cert.verify(points[labels == a], points[labels == b])
    # The searched certificates replaced the edited ones in the cache.
    assert all(c.from_cache for c in sep.pair_table(points, labels, cache=True).values())


def test_unreadable_cache_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("MNISTLIN_CACHE_DIR", str(tmp_path))
    points, labels = _three_classes()
    sep.pair_table(points, labels, cache=True)
    path = next(tmp_path.glob("separability-*.json.gz"))
    path.write_bytes(b"not a gzip file")
    table = sep.pair_table(points, labels, cache=True)
    assert not any(c.from_cache for c in table.values())
    assert table[(1, 2)].kind == "not separable"
    # Entries that are not certificates, or are for digits the data does not hold.
    _edit_cache(path, lambda pairs: pairs.update(
        {"1-2": [], "9-3": {}, "x": 1, "3-4": pairs["0-1"], "0-1-2": pairs["0-1"]}))
    table = sep.pair_table(points, labels, cache=True)
    assert table[(1, 2)].kind == "not separable" and not table[(1, 2)].from_cache
    assert table[(0, 1)].from_cache


def test_pair_table_without_cache_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("MNISTLIN_CACHE_DIR", str(tmp_path))
    points, labels = _three_classes()
    sep.pair_table(points, labels)
    assert not list(tmp_path.iterdir())


def test_exact_scores_match_python_integers_on_both_paths():
    rng = np.random.default_rng(5)
    X = rng.integers(0, 256, size=(50, 784)).astype(np.uint8)
    for top in (2**30, 2**36, 2**45):  # bounds below 2**53, below 2**62 and above
        w = rng.integers(-top, top, size=784)
        b = int(rng.integers(-top, top))
        expected = [sum(int(x) * int(v) for x, v in zip(row, w)) + b for row in X]
        got = sep._exact_scores(X, w, b)
        assert [int(v) for v in got] == expected


def test_fast_inverse_mod_matches_plain_elimination():
    rng = np.random.default_rng(6)
    M = rng.integers(-255, 256, size=(230, 230))
    M[rng.random(M.shape) < 0.6] = 0  # many zeros, as in images
    fast, plain = sep._fast_inverse_mod(M), sep._inverse_mod(M)
    assert np.array_equal(fast, plain)
    identity = sep._matmul_mod(np.mod(M, sep._PRIME), fast)
    assert np.array_equal(identity, np.eye(len(M)))
    M[:, 7] = 2 * M[:, 3]  # singular: no inverse modulo any prime
    assert sep._fast_inverse_mod(M) is None


def test_solve_exact_gives_an_exact_rational_solution():
    rng = np.random.default_rng(7)
    M = rng.integers(-255, 256, size=(150, 150))
    c = rng.integers(-255, 256, size=150)
    numerators, denominator = sep._solve_exact(M, c)
    lhs = M.astype(object) @ np.array(numerators, dtype=object)
    assert denominator > 0 and all(v == denominator * int(t) for v, t in zip(lhs, c))
