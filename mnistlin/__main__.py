"""Command line: ``python -m mnistlin fetch`` fills the MNIST cache.

The README's section on working offline shows when to use it.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading

from . import data


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def _sigterm_as_exit():
    """Within the block, SIGTERM raises SystemExit (main thread only; else no change)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv=None) -> int:
    """Run the command line; return the exit status (0 when the cache is filled)."""
    parser = argparse.ArgumentParser(prog="python -m mnistlin")
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("fetch", help="download, check and cache MNIST")
    fetch.add_argument("--data-dir", help="a folder holding the four IDX files")
    fetch.add_argument(
        "--sources",
        help=f"comma-separated sources to try, from {','.join(data.SOURCES)} "
        "(default: MNISTLIN_SOURCES, or all)",
    )
    fetch.add_argument(
        "--timeout", type=float, default=None,
        help=f"seconds a download waits for a silent server (default {data.TIMEOUT})",
    )
    fetch.add_argument("--quiet", action="store_true", help="no download progress")
    args = parser.parse_args(argv)
    # Turn `kill` (SIGTERM) into an ordinary exit, so that a fetch stopped that way
    # removes its temporary files as Ctrl-C does.
    with _sigterm_as_exit():
        return _fetch(args)


def _fetch(args) -> int:
    try:
        mnist = data.load_mnist(args.data_dir, args.sources, progress=not args.quiet,
                                timeout=args.timeout)
    except (data.MNISTNotFoundError, ValueError) as err:
        print(err, file=sys.stderr)
        return 1
    cache = data.cache_dir()
    absent = [f"{key}.npy" for key in data.FILES if not (cache / f"{key}.npy").is_file()]
    if absent:
        print(f"MNIST loaded and checked, but {', '.join(absent)} could not be written to "
              f"the cache {cache}; set MNISTLIN_CACHE_DIR to a writable folder.",
              file=sys.stderr)
        return 1
    print(f"MNIST is cached in {cache}: "
          f"{len(mnist.train_labels)} training and {len(mnist.test_labels)} test digits, "
          "each file checked against its SHA-256.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
