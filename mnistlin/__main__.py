"""Command line: ``python -m mnistlin fetch`` fills the MNIST cache."""

from __future__ import annotations

import argparse
import sys

from .data import MNISTNotFoundError, SOURCES, cache_dir, load_mnist


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnistlin")
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("fetch", help="download, check and cache MNIST")
    fetch.add_argument("--data-dir", help="a folder holding the four IDX files")
    fetch.add_argument(
        "--sources",
        help=f"comma-separated sources to try, from {','.join(SOURCES)} "
        "(default: MNISTLIN_SOURCES, or all)",
    )
    args = parser.parse_args(argv)
    try:
        data = load_mnist(args.data_dir, args.sources)
    except (MNISTNotFoundError, ValueError) as err:
        print(err, file=sys.stderr)
        return 1
    print(f"MNIST is cached in {cache_dir()}: "
          f"{len(data.train_labels)} training and {len(data.test_labels)} test digits, "
          "each file checked against its SHA-256.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
