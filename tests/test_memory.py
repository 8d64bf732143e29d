"""Every chapter of the book runs within the memory that Binder gives a reader.

mybinder.org gives a session at most 2 GB (2 * 10**9 bytes); a session that asks for more
loses its kernel. The session holds the Jupyter server as well as the kernel, so a
chapter's kernel must stay below that limit minus ``SERVER_SHARE``, a generous allowance
for the server and JupyterLab (together they typically hold 100-250 MB).

How the memory is measured, and why this way:

- Each notebook listed in ``_toc.yml`` is executed with nbclient in a fresh kernel, with
  one extra cell at the end that reads the kernel's peak resident set size over the whole
  run (``VmHWM`` in ``/proc/self/status`` on Linux), and the largest peak of any process
  it started and waited for (``resource.getrusage``). The resident set is what a
  container memory limit (a cgroup) charges, apart from the page cache, which Linux
  reclaims before it kills anything. The kernel's own ``ru_maxrss`` would be wrong here:
  Linux carries it over through ``exec``, so a kernel started by a large process (this
  test run, say) would report that process's peak.
- A hard limit on this machine would be less sound. ``RLIMIT_AS`` (``prlimit``) counts
  address space, and OpenBLAS and glibc reserve large regions per thread that they never
  touch, so a notebook well within 2 GB could fail. ``RLIMIT_DATA`` counts such
  reservations too. A cgroup ``memory.max`` would match Binder exactly, but it needs a
  writable cgroup v2 tree, which a test suite cannot count on.
- The notebooks are executed here rather than measured while nbval runs them: the tests
  in this folder run before the notebooks, and reading the kernel of nbval would need a
  plugin hooked into every notebook run. The price is one more execution of each chapter,
  about as long as the nbval run of the chapters.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
BINDER_LIMIT = 2 * 10**9  # bytes: mybinder.org's memory limit per session
SERVER_SHARE = 300 * 10**6  # bytes left for the Jupyter server and JupyterLab
KERNEL_BUDGET = BINDER_LIMIT - SERVER_SHARE

# Run in the kernel after the notebook: the peak resident set size of the kernel and of
# the largest process it waited for, in bytes (Linux reports kilobytes, macOS bytes).
PEAK_CELL = """\
import json as _json, resource as _resource, sys as _sys
_unit = 1 if _sys.platform == "darwin" else 1024
_self = _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss * _unit
try:
    with open("/proc/self/status") as _status:
        _self = next(int(line.split()[1]) * 1024 for line in _status
                     if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    pass
print(_json.dumps({
    "self": _self,
    "children": _resource.getrusage(_resource.RUSAGE_CHILDREN).ru_maxrss * _unit,
}))
"""


def toc_files(toc: dict) -> list[str]:
    """Every ``file`` entry of a Jupyter Book table of contents, in reading order."""
    found = []
    if "root" in toc:
        found.append(toc["root"])
    for key, value in toc.items():
        if key == "file":
            found.append(value)
        elif isinstance(value, list):
            for entry in value:
                if isinstance(entry, dict):
                    found.extend(toc_files(entry))
    return found


def book_notebooks() -> list[Path]:
    """The notebooks of the book, as listed in ``_toc.yml``."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    paths = [ROOT / name for name in toc_files(toc)]
    found = []
    for path in paths:
        if path.suffix != ".ipynb":
            path = path.with_suffix(".ipynb")
        if path.is_file():
            found.append(path)
    return found


def peak_rss(path: Path) -> dict:
    """Execute the notebook at ``path`` and return its kernel's peak memory, in bytes."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_CELL))
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    outputs = nb.cells[-1].outputs
    text = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
    return json.loads(text.strip().splitlines()[-1])


def test_toc_lists_notebooks():
    """The memory test below has notebooks to run (it would pass vacuously otherwise)."""
    assert len(book_notebooks()) >= 1


def test_peak_cell_measures_memory(tmp_path):
    """The measuring cell sees a 200 MB array that a notebook touched."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(
        "import numpy as np\nx = np.ones(200 * 10**6, dtype=np.uint8)"
    ))
    path = tmp_path / "alloc.ipynb"
    nbformat.write(nb, path)
    peak = peak_rss(path)
    assert 200 * 10**6 <= peak["self"] < KERNEL_BUDGET


def test_peak_cell_ignores_the_starting_process(tmp_path):
    """A kernel started while this process holds 600 MB does not report those 600 MB."""
    np = pytest.importorskip("numpy")
    held = np.ones(600 * 10**6, dtype=np.uint8)
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("x = 1"))
    path = tmp_path / "small.ipynb"
    nbformat.write(nb, path)
    peak = peak_rss(path)
    assert held.sum() == held.size
    assert peak["self"] < 400 * 10**6, peak


@pytest.mark.parametrize(
    "notebook", book_notebooks(), ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_notebook_fits_binder_memory(notebook, record_property):
    """The chapter's kernel peaks below Binder's 2 GB minus the server's share."""
    peak = peak_rss(notebook)
    worst = max(peak["self"], peak["children"])
    record_property("kernel_peak_rss_bytes", worst)
    print(f"{notebook.name}: kernel peak resident memory {worst / 1e6:.0f} MB")
    assert worst < KERNEL_BUDGET, (
        f"{notebook.name}: the kernel's peak resident memory was {worst / 1e6:.0f} MB; "
        f"on Binder a chapter has {KERNEL_BUDGET / 1e6:.0f} MB "
        f"({BINDER_LIMIT / 1e9:.0f} GB minus {SERVER_SHARE / 1e6:.0f} MB for the server)"
    )
