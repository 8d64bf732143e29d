"""Linear separability with certificates: a checked hyperplane, or a proof that none exists.

Chapter 1 (*Linear separability*) uses this module. Two point sets A and B are linearly
separable when some hyperplane ``(w, b)`` puts every point of A strictly on its positive
side and every point of B strictly on its negative side. :func:`separate` answers the
question for two sets of points with integer coordinates (MNIST pixels 0-255) and returns
a :class:`Certificate` that anyone can check again with :meth:`Certificate.verify`:

``"separable"``
    An integer hyperplane ``(w, b)`` with ``w @ x + b > 0`` on A and ``< 0`` on B, checked
    with exact integer arithmetic on every point. This is a proof.
``"not separable"``
    Positive integer weights ``lam`` on a subset of the points (a Farkas certificate) with
    ``sum_A lam_i [x_i, 1] == sum_B lam_j [x_j, 1]``: a weighted average of points of A
    equals a weighted average of points of B, so no hyperplane can split them. A
    floating-point linear program finds the subset and approximate weights; exact
    rational arithmetic (Dixon's p-adic lifting) then recovers the exact weights, and the
    two sums are compared exactly. When they agree (``exact`` is True) this is a proof.
    If the exact step fails, the float weights are rounded to integers instead, and the
    exact residual ``r`` of the rounded weights proves something weaker, stored as
    ``margin_bound``: no hyperplane separates the sets with
    ``min_i y_i (w @ x_i + b) > margin_bound * ||(w, b)||``. Hyperplanes passing closer
    than that to the points are then not ruled out.
``"undecided"``
    Neither search succeeded within its budget; nothing is claimed.

How the search works, and why it is fast enough for all 45 digit pairs: a squared-hinge
fit (L-BFGS, preconditioned by whitening the pixels) usually reaches zero training errors
within a few dozen steps when the sets are separable. When it does not, the points with
the smallest margins under that fit form a small, hard subset; a linear program on that
subset alone (about a thousand points instead of 12,000) finds the Farkas weights, and a
subset that cannot be separated proves that the whole set cannot. The exact step works
modulo a prime small enough for float64 matrix products to be exact, so that it can use
BLAS. Working on integers is what makes both kinds of proof exact; coordinates must be
whole numbers of magnitude at most 2**20 (MNIST pixels are 0-255).

The whole search over the 45 pairs of MNIST takes about ten seconds on two cores, and
checking its answers only a few. :func:`pair_table` can therefore keep its certificates in
a cache, and it verifies every certificate it reads back before using it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import math
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.sparse
from threadpoolctl import threadpool_limits

from ._checks import as_labels, check_digit
from ._threads import scipy_blas_single_threaded

logger = logging.getLogger(__name__)

KINDS = ("separable", "not separable", "undecided")
_WEIGHT_BITS = 30  # integer hyperplanes have entries up to 2**30
_LAMBDA_BITS = 40  # Farkas weights are rounded to integers up to 2**40


@dataclass
class Certificate:
    """The answer of :func:`separate`, with the evidence needed to check it.

    Attributes
    ----------
    kind : str
        ``"separable"``, ``"not separable"`` or ``"undecided"``.
    w, b : numpy.ndarray (int64) and int
        An integer hyperplane in the units of the input coordinates. For ``"separable"``
        it separates the sets; otherwise it is the best one the fit found.
    train_errors : int
        How many points of A and B that hyperplane puts on the wrong side (or on it).
    subset_a, subset_b : numpy.ndarray
        Indices (into A and B) of the points carrying Farkas weight; empty unless
        ``kind == "not separable"``.
    lam_a, lam_b : numpy.ndarray of object (Python ints)
        The positive integer Farkas weights of those points.
    exact : bool
        For ``"not separable"``: True when the weighted sums agree exactly (a proof).
    margin_bound : float
        For ``"not separable"``: the proven bound on the margin of any hyperplane
        (0.0 when ``exact``). See the module docstring.
    seconds : float
        Wall-clock time spent.
    from_cache : bool
        True when the certificate was read from the cache of :func:`pair_table` (and
        verified again from scratch) instead of being searched for.
    n_a, n_b : int
        Number of points in A and B.
    """

    kind: str
    w: np.ndarray
    b: int
    train_errors: int
    n_a: int
    n_b: int
    subset_a: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    subset_b: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    lam_a: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    lam_b: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    exact: bool = False
    margin_bound: float = math.inf
    seconds: float = 0.0
    from_cache: bool = False

    def decision(self, X) -> np.ndarray:
        """Return ``w @ x + b`` for each row of ``X`` (positive means the side of A)."""
        X = _as_points(X, "X")
        if X.shape[1] != len(self.w):
            raise ValueError(f"X has {X.shape[1]} columns but the hyperplane has {len(self.w)}")
        return X.astype(np.float64) @ self.w.astype(np.float64) + float(self.b)

    def blend_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the Farkas weights as floats, those of A and those of B each summing to 1.

        With them, ``wa @ Xa[subset_a]`` and ``wb @ Xb[subset_b]`` are the two equal
        blends (weighted averages). Empty arrays unless ``kind == "not separable"``.
        """
        out = []
        for lam in (self.lam_a, self.lam_b):
            total = sum(int(v) for v in lam)
            out.append(np.array([int(v) / total for v in lam]) if total else np.zeros(0))
        return out[0], out[1]

    def verify(self, Xa, Xb) -> bool:
        """Check this certificate again, from scratch, against the point sets A and B.

        A ``"separable"`` certificate passes when its integer hyperplane puts every point
        strictly on the correct side (exact integer arithmetic). A ``"not separable"``
        certificate passes when its weights are positive integers on valid indices and
        the exact residual of the weighted sums is zero (``exact``) or within the stored
        ``margin_bound``. An ``"undecided"`` certificate claims nothing and never passes.

        Parameters
        ----------
        Xa, Xb : array_like
            The same integer point sets that were given to :func:`separate`.

        Returns
        -------
        bool
        """
        Xa, Xb = _as_points(Xa, "Xa"), _as_points(Xb, "Xb")
        if Xa.shape[1] != Xb.shape[1]:
            raise ValueError(f"Xa has {Xa.shape[1]} columns but Xb has {Xb.shape[1]}")
        if (len(Xa), len(Xb)) != (self.n_a, self.n_b) or Xa.shape[1] != len(self.w):
            return False
        if self.kind == "separable":
            return _count_errors(Xa, Xb, self.w, self.b) == 0
        if self.kind == "not separable":
            residual, total = _farkas_residual(Xa, Xb, self)
            if residual is None:
                return False
            if self.exact:
                return all(v == 0 for v in residual)
            norm = math.sqrt(float(sum(int(v) * int(v) for v in residual)))
            return norm / total <= self.margin_bound * (1 + 1e-9)
        return False


def _as_points(X, name: str) -> np.ndarray:
    """Return integer points as an ``(n, d)`` int64 array; images are flattened."""
    X = np.asarray(X)
    if X.ndim == 3:
        X = X.reshape(len(X), -1)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(
            f"{name} must be a non-empty (n, d) array of points or (n, 28, 28) images, "
            f"got shape {X.shape}"
        )
    if X.dtype == np.bool_:
        X = X.astype(np.uint8)
    if X.dtype.kind == "f":
        if not np.isfinite(X).all() or not np.all(X == np.round(X)):
            raise ValueError(
                f"{name} must hold whole numbers (e.g. uint8 pixels 0-255) so that the "
                "certificate can be checked exactly; got non-integer or non-finite values"
            )
    elif X.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integers, got dtype {X.dtype}")
    if max(abs(float(X.min())), abs(float(X.max()))) > 2**20:
        raise ValueError(f"{name} must hold integers of magnitude at most 2**20")
    # Small integer types are kept as they are (no copy); arithmetic promotes to int64.
    return X if X.dtype.kind in "iu" else X.astype(np.int64)


def _exact_scores(X: np.ndarray, w: np.ndarray, b: int) -> np.ndarray:
    """Return ``X @ w + b`` exactly, in int64 when it cannot overflow, else Python ints."""
    top = max(abs(float(X.min(initial=0))), abs(float(X.max(initial=0))))
    bound = top * float(np.abs(w).sum(dtype=np.float64)) + abs(b)
    if bound < 2**53:
        # Every product and partial sum is a whole number below 2**53, which float64
        # represents exactly, so the fast BLAS product is exact here.
        return X.astype(np.float64) @ w.astype(np.float64) + float(b)
    if bound < 2**62:
        return X @ w + np.int64(b)
    return X.astype(object) @ w.astype(object) + int(b)


def _count_errors(Xa, Xb, w, b) -> int:
    """Count points on the wrong side of (or on) the integer hyperplane, exactly."""
    return int(np.sum(_exact_scores(Xa, w, b) <= 0) + np.sum(_exact_scores(Xb, w, b) >= 0))


def _integer_hyperplane(w: np.ndarray, b: float) -> tuple[np.ndarray, int]:
    """Scale a float hyperplane so that its largest weight is about 2**30, and round."""
    top = max(float(np.abs(w).max()), abs(b) / 2**20)
    if not math.isfinite(top) or top == 0:
        return np.zeros(len(w), dtype=np.int64), 0
    factor = 2.0**_WEIGHT_BITS / top
    return np.round(w * factor).astype(np.int64), int(round(b * factor))


def _farkas_residual(Xa, Xb, cert):
    """Return the exact residual ``sum lam_a [x, 1] - sum lam_b [x, 1]`` and ``sum lam``."""
    ia, ib = np.asarray(cert.subset_a), np.asarray(cert.subset_b)
    la, lb = list(cert.lam_a), list(cert.lam_b)
    if len(ia) != len(la) or len(ib) != len(lb) or not la or not lb:
        return None, 0
    for idx, n in ((ia, len(Xa)), (ib, len(Xb))):
        if idx.dtype.kind not in "iu" or idx.min() < 0 or idx.max() >= n:
            return None, 0
        if len(np.unique(idx)) != len(idx):
            return None, 0
    if any(not isinstance(v, (int, np.integer)) or v <= 0 for v in la + lb):
        return None, 0
    la_o = np.array([int(v) for v in la], dtype=object)
    lb_o = np.array([int(v) for v in lb], dtype=object)
    sa = Xa[ia].astype(object).T @ la_o
    sb = Xb[ib].astype(object).T @ lb_o
    residual = list(sa - sb) + [sum(la_o) - sum(lb_o)]
    return residual, int(sum(la_o) + sum(lb_o))


# --- the search ----------------------------------------------------------------------------


def whitener(X, max_rows: int = 5000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(mean, P)`` such that ``(X - mean) @ P`` has roughly unit covariance.

    Used to precondition the fit in :func:`separate`; :func:`pair_table` computes it once
    for all pairs. Directions of tiny variance are damped, not blown up.

    Parameters
    ----------
    X : array_like
        ``(n, d)`` points (or images), scaled as the fit sees them (pixels / 255).
    max_rows : int
        At most this many rows, drawn with ``seed``, estimate the covariance.
    seed : int
        Seed of the row sample.
    """
    X = np.asarray(X)
    X = X.reshape(len(X), -1)
    if len(X) > max_rows:
        X = X[np.sort(np.random.default_rng(seed).choice(len(X), max_rows, replace=False))]
    X = X.astype(np.float32)
    mean = X.mean(axis=0)
    Xc = (X - mean).astype(np.float64)
    if len(X) < X.shape[1]:
        # Few points: the covariance lives in the span of their rows; damp the rest.
        _, sv, Vt = np.linalg.svd(Xc, full_matrices=False)
        values = sv**2 / len(X)
        damping = 1e-3 * max(float(values.max(initial=0)), 1e-12)
        scale = 1 / np.sqrt(values + damping) - 1 / np.sqrt(damping)
        P = np.eye(X.shape[1]) / np.sqrt(damping) + (Vt.T * scale) @ Vt
        return mean.astype(np.float32), P.astype(np.float32)
    values, vectors = np.linalg.eigh(Xc.T @ Xc / len(X))
    damping = 1e-3 * max(float(values.max()), 1e-12)
    P = vectors / np.sqrt(np.maximum(values, 0) + damping)
    return mean.astype(np.float32), P.astype(np.float32)


class _Found(Exception):
    def __init__(self, theta):
        self.theta = theta


def _hinge_fit(F, s, mean, P, max_iter, l2=1e-6):
    """Squared-hinge fit in whitened coordinates; stop as soon as no point is wrong.

    Returns the float hyperplane ``(w, b)`` in the units of ``F`` and the margins.
    """
    n, d = F.shape

    def unpack(theta):
        w = (P @ theta[:d].astype(np.float32)).astype(np.float64)
        return w, theta[d] - float(mean.astype(np.float64) @ w)

    def loss(theta):
        w, b = unpack(theta)
        score = F @ w.astype(np.float32) + np.float32(b)
        margin = s * score
        if np.all(margin > 0):
            raise _Found(theta.copy())
        v = np.maximum(0, 1 - margin).astype(np.float64)
        g = (-2.0 / n) * v * s
        gx = F.T @ g.astype(np.float32) - mean * np.float32(g.sum())
        grad = np.concatenate([(P.T @ gx).astype(np.float64) + l2 * theta[:d], [g.sum()]])
        return float(v @ v) / n + 0.5 * l2 * float(theta[:d] @ theta[:d]), grad

    # Start from the difference of the class means in whitened coordinates.
    za = (F[s > 0].mean(axis=0) - mean) @ P
    zb = (F[s < 0].mean(axis=0) - mean) @ P
    u = (za - zb).astype(np.float64)
    u /= max(float(u @ u), 1e-12) / 2
    theta0 = np.concatenate([u, [-float(u @ (za + zb)) / 2]])
    try:
        with scipy_blas_single_threaded():
            result = scipy.optimize.minimize(loss, theta0, jac=True, method="L-BFGS-B",
                                             options={"maxiter": max_iter})
        theta = result.x
    except _Found as found:
        theta = found.theta
    w, b = unpack(theta)
    return w, b, s * (F @ w.astype(np.float32) + np.float32(b))


def _farkas_lp(A: np.ndarray):
    """Find ``lam >= 0`` with ``A.T @ lam == 0`` and ``sum(lam) == 1`` (rows of A: y_i [x_i, 1]).

    The dual simplex method returns a vertex, so at most ``rank(A) + 1`` weights are
    positive. Returns None when no such weights exist, i.e. when the rows can be separated.
    """
    keep = np.any(A != 0, axis=0)
    Aeq = scipy.sparse.vstack([scipy.sparse.csr_matrix(A[:, keep].T.astype(np.float64)),
                               scipy.sparse.csr_matrix(np.ones((1, len(A))))]).tocsr()
    beq = np.zeros(Aeq.shape[0])
    beq[-1] = 1.0
    result = scipy.optimize.linprog(np.zeros(len(A)), A_eq=Aeq, b_eq=beq, bounds=(0, None),
                                    method="highs-ds")
    if result.status != 0:
        return None
    return np.asarray(result.x)


# A prime below 2**21: a product of two residues is below 2**42, so a sum of up to 2048
# such products is a whole number below 2**53, which float64 (and BLAS) adds exactly.
_PRIME = 2097143
_EXACT_CHUNK = 2048


def _reduce(x: np.ndarray, p: int) -> np.ndarray:
    """Reduce float64 whole numbers of magnitude below 2**53 modulo p, in place."""
    x -= np.floor(x * (1.0 / p)) * p  # the quotient may be off by one: fixed below
    x[x < 0] += p
    x[x >= p] -= p
    return x


def _matmul_mod(A: np.ndarray, B: np.ndarray, p: int = _PRIME) -> np.ndarray:
    """Return ``A @ B mod p`` for residues 0 <= x < p < 2**21, exactly, with float64 BLAS."""
    A, B = A.astype(np.float64), B.astype(np.float64)
    out = np.zeros((A.shape[0], B.shape[1]))
    for k in range(0, A.shape[1], _EXACT_CHUNK):
        out += _reduce(A[:, k:k + _EXACT_CHUNK] @ B[k:k + _EXACT_CHUNK], p)
        _reduce(out, p)
    return out


def _inverse_blocks(M: np.ndarray, p: int):
    """Invert M (residues mod p, float64) by halves with Schur complements, or None."""
    m = len(M)
    if m <= 96:
        inverse = _inverse_mod(M.astype(np.int64), p)
        return None if inverse is None else inverse.astype(np.float64)
    h = m // 2
    Ai = _inverse_blocks(M[:h, :h], p)
    if Ai is None:
        return None
    CAi = _matmul_mod(M[h:, :h], Ai, p)
    AiB = _matmul_mod(Ai, M[:h, h:], p)
    Si = _inverse_blocks(np.mod(M[h:, h:] - _matmul_mod(CAi, M[:h, h:], p), p), p)
    if Si is None:
        return None
    AiBSi = _matmul_mod(AiB, Si, p)
    top = np.hstack([np.mod(Ai + _matmul_mod(AiBSi, CAi, p), p), np.mod(-AiBSi, p)])
    bottom = np.hstack([np.mod(-_matmul_mod(Si, CAi, p), p), Si])
    return np.vstack([top, bottom])


def _fast_inverse_mod(M: np.ndarray, p: int = _PRIME):
    """Return the inverse of the square integer matrix M modulo p, or None.

    The inverse is computed for ``M U`` with a seeded random U (so that the leading blocks
    are invertible) by halves, with matrix products in float64 that are exact (see
    :func:`_matmul_mod`); then ``inverse(M) = U inverse(M U)``. When a block turns out
    singular, the plain elimination :func:`_inverse_mod` decides instead. The caller
    checks every result exactly, so a wrong inverse can only make the search fail.
    """
    residues = np.mod(M, p).astype(np.float64)
    U = np.random.default_rng(0).integers(0, p, size=M.shape).astype(np.float64)
    inverse = _inverse_blocks(_matmul_mod(residues, U, p), p)
    if inverse is None:
        return _inverse_mod(M, p)
    return _matmul_mod(U, inverse, p).astype(np.int64)


def _inverse_mod(M: np.ndarray, p: int = _PRIME):
    """Return the inverse of the square integer matrix M modulo p, or None if singular."""
    m = len(M)
    aug = np.concatenate([np.mod(M, p), np.eye(m, dtype=np.int64)], axis=1)
    for c in range(m):
        nonzero = np.flatnonzero(aug[c:, c])
        if len(nonzero) == 0:
            return None
        i = nonzero[0] + c
        if i != c:
            aug[[c, i]] = aug[[i, c]]
        aug[c, c:] = aug[c, c:] * pow(int(aug[c, c]), p - 2, p) % p
        col = aug[:, c].copy()
        col[c] = 0
        # Columns left of c are already reduced; update the rest in place. Entries are
        # below p < 2**21, so the difference stays far inside int64 before reducing.
        block = aug[:, c:]
        block -= np.multiply.outer(col, aug[c, c:])
        block %= p
    return aug[:, m:]


def _symmetric(v: int, modulus: int) -> int:
    v %= modulus
    return v - modulus if v > modulus // 2 else v


def _rational(x: int, modulus: int):
    """Rational reconstruction: ``(a, d)`` with ``a == d x (mod modulus)``, both small."""
    bound = math.isqrt(modulus // 2)
    r0, r1, t0, t1 = modulus, x % modulus, 0, 1
    while r1 > bound:
        q = r0 // r1
        r0, r1 = r1, r0 - q * r1
        t0, t1 = t1, t0 - q * t1
    if t1 == 0 or abs(t1) > bound:
        return None
    return (r1, t1) if t1 > 0 else (-r1, -t1)


def _solve_exact(M: np.ndarray, c: np.ndarray, p: int = _PRIME):
    """Exact rational solution of ``M z = c`` for a nonsingular integer M (Dixon's p-adic lifting).

    Returns ``(numerators, denominator)`` as Python ints, or None. The caller checks the
    result exactly, so a wrong answer here can never produce a false certificate.
    """
    m = len(M)
    r_bound = m * int(np.abs(M).max(initial=0)) + int(np.abs(c).max(initial=0))
    if m * p * max(r_bound, int(np.abs(M).max(initial=0))) >= 2**62:
        return None  # int64 arithmetic below could overflow
    inverse = _fast_inverse_mod(M, p)
    if inverse is None:
        return None
    # Hadamard's bound on the size of the numerators and of the denominator.
    norms = np.maximum(np.sqrt((M.astype(np.float64) ** 2).sum(axis=0)), 1.0)
    log_h = float(np.log2(norms).sum()) + max(math.log2(max(np.abs(c).sum(), 1)), 0.0)
    steps = int((2 * log_h + 4) / math.log2(p)) + 2
    r = c.copy()
    digits = []
    # Both products below are sums of at most m whole numbers below 2**53 / m when this
    # holds, so float64 computes them exactly; otherwise int64 (slower) is used.
    floats = m <= _EXACT_CHUNK and m * p * int(np.abs(M).max(initial=1)) < 2**53
    inverse_f, M_f = inverse.astype(np.float64), M.astype(np.float64)
    for _ in range(steps):
        if floats:
            x = _reduce(inverse_f @ np.mod(r, p).astype(np.float64), p)
            r = r - (M_f @ x).astype(np.int64)
            x = x.astype(np.int64)
        else:
            x = inverse @ r % p
            r = r - M @ x
        digits.append(x.tolist())
        if np.any(r % p):
            return None
        r //= p
    modulus = p**steps
    values = [0] * len(c)
    for row in reversed(digits):
        values = [v * p + d for v, d in zip(values, row)]
    half = math.isqrt(modulus // 2)
    denominator = 1
    for v in values:
        if abs(_symmetric(v * denominator, modulus)) > half:
            rec = _rational(v * denominator, modulus)
            if rec is None:
                return None
            denominator *= rec[1]
    return [_symmetric(v * denominator, modulus) for v in values], denominator


def _exact_farkas(A: np.ndarray, mu: np.ndarray):
    """Turn float Farkas weights on the rows of the integer matrix A into exact integers.

    On the support of a vertex solution the weights span a one-dimensional null space of
    ``A.T``; fixing the largest weight and solving for the others with exact rational
    arithmetic recovers it. Returns positive Python ints, or None if this fails.
    """
    G = A.T[np.any(A.T != 0, axis=1)]
    k = G.shape[1]
    if k < 2 or G.shape[0] < k - 1:
        return None
    j0 = int(np.argmax(mu))
    others = np.delete(np.arange(k), j0)
    # Pick k - 1 well-conditioned rows with a pivoted QR factorisation.
    pivots = scipy.linalg.qr(G[:, others].T.astype(np.float64), pivoting=True,
                             mode="r")[1]
    rows = np.sort(pivots[: k - 1])
    solved = _solve_exact(G[rows][:, others], -G[rows, j0])
    if solved is None:
        return None
    numerators, denominator = solved
    vec = [0] * k
    for j, v in zip(others, numerators):
        vec[j] = v
    vec[j0] = denominator
    if any(v <= 0 for v in vec):
        return None
    g = math.gcd(*vec)
    return np.array([v // g for v in vec], dtype=object)


def _round_farkas(lam: np.ndarray) -> np.ndarray:
    """Round positive float weights to positive Python ints, the largest about 2**40."""
    scaled = np.round(lam / lam.max() * 2.0**_LAMBDA_BITS)
    return np.array([max(int(v), 1) for v in scaled], dtype=object)


def separate(Xa, Xb, *, max_iter: int = 60, max_subset: int = 5000,
             _whitening=None) -> Certificate:
    """Decide whether two sets of integer points are linearly separable, with a certificate.

    Chapter 1 explains the method and what each answer proves (see also the module
    docstring).

    Parameters
    ----------
    Xa, Xb : array_like
        The two point sets, ``(n, d)`` integer arrays or ``(n, 28, 28)`` uint8 images.
        Integer coordinates let the certificate be checked exactly.
    max_iter : int
        Iterations of the squared-hinge fit that looks for a separating hyperplane.
    max_subset : int
        The largest subset of hard points given to the linear program before the answer
        is left ``"undecided"``.

    Returns
    -------
    Certificate
        Already verified: a returned ``"separable"`` or ``"not separable"`` certificate
        passes :meth:`Certificate.verify` on the same inputs.

    Raises
    ------
    ValueError
        If the inputs are not non-empty integer arrays with the same number of columns.

    Examples
    --------
    >>> xor_a = [[0, 0], [1, 1]]
    >>> xor_b = [[0, 1], [1, 0]]
    >>> separate(xor_a, xor_b).kind
    'not separable'
    """
    start = time.perf_counter()
    Xa, Xb = _as_points(Xa, "Xa"), _as_points(Xb, "Xb")
    if Xa.shape[1] != Xb.shape[1]:
        raise ValueError(f"Xa has {Xa.shape[1]} columns but Xb has {Xb.shape[1]}")
    if not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    if not isinstance(max_subset, (int, np.integer)) or max_subset < 2:
        raise ValueError(f"max_subset must be an integer of at least 2, got {max_subset!r}")
    X = np.vstack([Xa, Xb])
    s = np.concatenate([np.ones(len(Xa)), -np.ones(len(Xb))]).astype(np.float32)
    unit = max(abs(float(X.min())), abs(float(X.max())), 1.0)
    F = X.astype(np.float32) / np.float32(unit)
    mean, P = _whitening if _whitening is not None else whitener(F)
    w, b, margin = _hinge_fit(F, s, mean, P, max_iter)
    w_int, b_int = _integer_hyperplane(w, b * unit)
    errors = _count_errors(Xa, Xb, w_int, b_int)

    def done(kind, **extra):
        return Certificate(kind, w_int, b_int, errors, len(Xa), len(Xb),
                           seconds=time.perf_counter() - start, **extra)

    if errors == 0:
        return done("separable")
    # A hard subset: the points with the smallest margins under the fit, grown until a
    # linear program finds that the subset cannot be separated.
    order = np.argsort(margin, kind="stable")
    k = min(len(X), max(3 * int(np.sum(margin <= 0)), 800))
    while True:
        idx = order[:k]
        A = np.hstack([X[idx] * s[idx, None].astype(np.int64), s[idx, None].astype(np.int64)])
        lam = _farkas_lp(A.astype(np.float64) / np.append(np.full(X.shape[1], unit), 1.0))
        if lam is not None:
            support = np.flatnonzero(lam > 1e-12)
            cert = _farkas_certificate(Xa, Xb, idx[support], lam[support], done)
            if cert is not None:
                return cert
            break
        if k == len(X) or k >= max_subset:
            break
        k = min(len(X), 3 * k // 2, max_subset)
    return done("undecided")


def _farkas_certificate(Xa, Xb, points, mu, done):
    """Build and check a "not separable" certificate from float Farkas weights."""
    X = np.vstack([Xa, Xb])[points]
    y = np.where(points < len(Xa), 1, -1)
    lam = _exact_farkas(np.hstack([X * y[:, None], y[:, None]]), mu)
    if lam is None:
        lam = _round_farkas(mu)
    in_a = points < len(Xa)
    order_a, order_b = np.argsort(points[in_a]), np.argsort(points[~in_a])
    cert = done("not separable",
                subset_a=points[in_a][order_a].astype(np.int64),
                subset_b=(points[~in_a] - len(Xa))[order_b].astype(np.int64),
                lam_a=lam[in_a][order_a], lam_b=lam[~in_a][order_b])
    residual, total = _farkas_residual(Xa, Xb, cert)
    if residual is None:
        return None
    cert.exact = all(v == 0 for v in residual)
    norm = math.sqrt(float(sum(int(v) * int(v) for v in residual)))
    cert.margin_bound = 0.0 if cert.exact else norm / total
    return cert


# --- all digit pairs --------------------------------------------------------------------


def pair_table(images, labels, *, max_iter: int = 60, cache: bool = False) -> dict:
    """Run :func:`separate` on every pair of digits of a labelled set of images.

    Chapter 1 shows the result as a 10x10 table. The search takes about ten seconds on
    MNIST with two cores (two pairs are worked on at a time); the check of a certificate
    takes a fraction of a second. With ``cache=True``, the certificates are saved in the
    user cache folder (:func:`mnistlin.data.cache_dir`),
    keyed by a hash of the images and labels, and a later call reads them back and
    verifies every one of them again from scratch with :meth:`Certificate.verify`. A
    certificate that fails (a damaged or edited file), and a blend certificate that is
    not exact, is thrown away and searched for again, so the cache can save time but
    never change an answer.

    Parameters
    ----------
    images : array_like
        ``(n, 28, 28)`` uint8 images (or ``(n, d)`` integer points).
    labels : array_like
        ``(n,)`` digit labels 0-9.
    max_iter : int
        Passed to :func:`separate`.
    cache : bool
        Read verified certificates from the cache and save new ones there.

    Returns
    -------
    dict
        ``{(a, b): Certificate}`` for every pair ``a < b`` of digits present, the
        certificate for digit ``a`` as set A and digit ``b`` as set B. Certificates read
        from the cache have ``from_cache`` set.

    Raises
    ------
    ValueError
        On bad images or labels, or when fewer than two digits are present.
    """
    X = _as_points(images, "images")
    y = as_labels(labels, len(X), "labels")
    digits = np.unique(y)
    if len(digits) < 2:
        raise ValueError("labels must contain at least two different digits")
    pairs = [(int(a), int(b)) for a, b in combinations(digits, 2)]
    path = _cache_path(X, y, max_iter) if cache else None
    table = _read_cache(path, X, y, pairs) if path is not None else {}
    missing = [pair for pair in pairs if pair not in table]
    if missing:
        unit = max(abs(float(X.min())), abs(float(X.max())), 1.0)
        mean, P = whitener(X)
        whitening = (mean / np.float32(unit), P * np.float32(unit))

        def run(pair):
            a, b = pair
            return separate(X[y == a], X[y == b], max_iter=max_iter, _whitening=whitening)

        # Two pairs at a time, each on one BLAS thread: the linear programs, which run
        # outside Python and use a single core, then keep both cores busy.
        with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(2) as pool:
            table.update(zip(missing, pool.map(run, missing)))
        if path is not None:
            _write_cache(path, table)
    return {pair: table[pair] for pair in pairs}


# --- the certificate cache --------------------------------------------------------------

_CACHE_FORMAT = "mnistlin-separability-1"


def _cache_path(X: np.ndarray, y: np.ndarray, max_iter: int):
    """Return the cache file for these points, labels and settings."""
    from .data import cache_dir

    digest = hashlib.sha256()
    digest.update(f"{_CACHE_FORMAT} {X.shape} {X.dtype.str} {max_iter}".encode())
    digest.update(np.ascontiguousarray(X).tobytes())
    digest.update(np.ascontiguousarray(y, dtype=np.int64).tobytes())
    return cache_dir() / f"separability-{digest.hexdigest()[:32]}.json.gz"


def _cert_to_dict(cert: Certificate) -> dict:
    return {
        "kind": cert.kind, "w": [int(v) for v in cert.w], "b": int(cert.b),
        "n_a": cert.n_a, "n_b": cert.n_b,
        "subset_a": [int(v) for v in cert.subset_a],
        "subset_b": [int(v) for v in cert.subset_b],
        "lam_a": [hex(int(v)) for v in cert.lam_a],
        "lam_b": [hex(int(v)) for v in cert.lam_b],
        "exact": bool(cert.exact), "margin_bound": float(cert.margin_bound),
    }


def _cert_from_dict(entry: dict, Xa: np.ndarray, Xb: np.ndarray):
    """Rebuild a certificate and verify it from scratch; None unless it passes."""
    start = time.perf_counter()
    try:
        w = np.array([int(v) for v in entry["w"]], dtype=np.int64)
        b = int(entry["b"])
        if len(w) != Xa.shape[1] or max(abs(b), int(np.abs(w).max(initial=0))) > 2**40:
            return None
        cert = Certificate(
            str(entry["kind"]), w, b, 0, int(entry["n_a"]), int(entry["n_b"]),
            subset_a=np.array([int(v) for v in entry["subset_a"]], dtype=np.int64),
            subset_b=np.array([int(v) for v in entry["subset_b"]], dtype=np.int64),
            lam_a=np.array([int(v, 16) for v in entry["lam_a"]], dtype=object),
            lam_b=np.array([int(v, 16) for v in entry["lam_b"]], dtype=object),
            exact=bool(entry["exact"]), margin_bound=float(entry["margin_bound"]),
            from_cache=True,
        )
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    if cert.kind == "not separable":
        # What the weights prove is worked out again from the data, not read from the file.
        # Only exact proofs are taken from the cache; anything weaker is searched again.
        residual, _ = _farkas_residual(Xa, Xb, cert)
        if residual is None or any(v != 0 for v in residual):
            return None
        cert.exact, cert.margin_bound = True, 0.0
    if cert.kind not in KINDS[:2] or not cert.verify(Xa, Xb):
        return None
    # Recount the errors of the stored hyperplane rather than trusting the file.
    cert.train_errors = _count_errors(Xa, Xb, cert.w, cert.b)
    cert.seconds = time.perf_counter() - start
    return cert


def _read_cache(path, X: np.ndarray, y: np.ndarray, pairs: list) -> dict:
    """Return the cached certificates of these pairs that pass verification."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            stored = json.load(f)
        entries = stored["pairs"] if stored.get("format") == _CACHE_FORMAT else {}
    except (OSError, ValueError, EOFError, AttributeError, KeyError, TypeError):
        return {}
    table = {}
    for key, entry in entries.items() if isinstance(entries, dict) else ():
        try:
            a, b = (int(v) for v in key.split("-"))
        except ValueError:
            continue
        if (a, b) not in pairs or not isinstance(entry, dict):
            continue
        cert = _cert_from_dict(entry, X[y == a], X[y == b])
        if cert is not None:
            table[(a, b)] = cert
        else:
            logger.info("cached certificate for %d-%d failed verification", a, b)
    return table


def _write_cache(path, table: dict) -> None:
    """Save the decided certificates: a temporary file, then an atomic rename."""
    stored = {"format": _CACHE_FORMAT, "pairs": {
        f"{a}-{b}": _cert_to_dict(cert) for (a, b), cert in table.items()
        if cert.kind in KINDS[:2]}}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as raw, gzip.open(raw, "wt", encoding="utf-8") as f:
                json.dump(stored, f)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    except OSError as error:
        logger.warning("could not save the certificate cache %s: %s", path, error)


def kind_matrix(table: dict) -> np.ndarray:
    """Return a symmetric 10x10 array coding each pair: 1 separable, 0 not, -1 undecided.

    The diagonal and missing pairs are NaN.

    Parameters
    ----------
    table : dict
        ``{(a, b): Certificate}``, as returned by :func:`pair_table`.

    Returns
    -------
    numpy.ndarray
        ``(10, 10)`` float array of codes.

    Raises
    ------
    ValueError
        If a key is not a pair of digits or a value is not a :class:`Certificate`.
    """
    codes = {"separable": 1.0, "not separable": 0.0, "undecided": -1.0}
    if not isinstance(table, dict):
        raise ValueError(f"table must be a dict of digit pairs to certificates, "
                         f"got {type(table).__name__}")
    out = np.full((10, 10), np.nan)
    for pair, cert in table.items():
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise ValueError(f"table keys must be pairs of digits (a, b), got {pair!r}")
        if not isinstance(cert, Certificate):
            raise ValueError(f"table[{pair!r}] must be a Certificate, "
                             f"got {type(cert).__name__}")
        a, b = check_digit(pair[0]), check_digit(pair[1], "b")
        out[a, b] = out[b, a] = codes[cert.kind]
    return out


# --- Cover's counting argument ----------------------------------------------------------


def cover_count(n: int, d: int) -> int:
    """Number of labelings of ``n`` points in general position that a hyperplane separates.

    Cover's function counts hyperplanes through the origin in ``d`` dimensions:
    ``C(n, d) = 2 * sum_{k < d} binom(n - 1, k)``. A hyperplane with a bias in ``d``
    dimensions has ``d + 1`` free parameters: use ``cover_count(n, d + 1)``. Chapter 1.

    Raises
    ------
    ValueError
        If ``n`` or ``d`` is not a positive integer.
    """
    for name, v in (("n", n), ("d", d)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    return 2 * sum(math.comb(int(n) - 1, k) for k in range(int(d)))


def cover_fraction(n: int, d: int) -> float:
    """Fraction ``C(n, d) / 2**n`` of all labelings that are separable (see cover_count)."""
    count = cover_count(n, d)
    return count / 2 ** int(n)  # exact big-integer division, rounded once
