"""Keep scipy's optimisers from slowing down numpy's matrix products.

The pip wheels of numpy and scipy each bring their own copy of OpenBLAS, and each copy
keeps its own pool of threads. After scipy's L-BFGS-B has used its copy for a few small
vector operations, that copy's threads keep spinning for a while, waiting for more work;
numpy's threads, which then compute the large product ``X @ W``, have to share the cores
with them. On a two-core machine this doubles the time of every product, and so of the
whole fit. Running scipy's copy on one thread while its optimiser works removes the
competition; its vector operations are far too small to need more.

Where numpy and scipy share a single BLAS library (as in conda), nothing is changed.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import scipy
from threadpoolctl import ThreadpoolController


def _is_scipys_own(filepath: str) -> bool:
    """Whether a loaded BLAS library lies in scipy's wheel rather than numpy's."""
    site_packages = Path(scipy.__file__).resolve().parent.parent
    try:
        first = Path(filepath).resolve().relative_to(site_packages).parts[0]
    except (ValueError, IndexError):
        return False
    return first in ("scipy", "scipy.libs")


@contextmanager
def scipy_blas_single_threaded():
    """Run the enclosed code with scipy's own BLAS limited to one thread.

    numpy's BLAS keeps all its threads. The previous limits are restored on exit.
    """
    controller = ThreadpoolController()
    own = [lib for lib in controller.lib_controllers
           if lib.user_api == "blas" and _is_scipys_own(lib.filepath)]
    before = [lib.num_threads for lib in own]
    for lib in own:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, n in zip(own, before):
            lib.set_num_threads(n)
