"""Inside ``scipy_blas_single_threaded`` scipy's own BLAS runs on one thread; numpy's keeps its."""

import numpy as np
import pytest
import scipy.optimize  # noqa: F401  (loads scipy's BLAS, when it has its own)
from threadpoolctl import ThreadpoolController

from mnistlin._threads import _is_scipys_own, scipy_blas_single_threaded


def _blas_threads():
    return {lib.filepath: lib.num_threads
            for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas"}


def test_only_scipys_copy_is_limited_and_restored():
    np.ones((2, 2)) @ np.ones((2, 2))
    before = _blas_threads()
    own = [path for path in before if _is_scipys_own(path)]
    if not own:
        pytest.skip("numpy and scipy share one BLAS library here; nothing to limit")
    with scipy_blas_single_threaded():
        inside = _blas_threads()
    for path, n in before.items():
        assert inside[path] == (1 if path in own else n)
    assert _blas_threads() == before


def test_limits_are_restored_after_an_exception():
    before = _blas_threads()
    with pytest.raises(RuntimeError):
        with scipy_blas_single_threaded():
            raise RuntimeError("inside")
    assert _blas_threads() == before


@pytest.mark.parametrize("path, expected", [
    ("/nowhere/libopenblas.so", False),
    ("", False),
])
def test_libraries_outside_scipy_are_not_scipys(path, expected):
    assert _is_scipys_own(path) is expected
