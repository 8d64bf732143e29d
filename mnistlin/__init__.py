"""mnistlin: the small support library of the book *How a linear model reads digits*.

Each module holds the computations of one part of the book:

- :mod:`mnistlin.data` loads and checks MNIST;
- :mod:`mnistlin.plots` draws weight images, digit grids and confusion matrices.
"""

from .data import MNIST, MNISTNotFoundError, cache_dir, load_mnist, to_features

__all__ = ["MNIST", "MNISTNotFoundError", "cache_dir", "load_mnist", "to_features"]
__version__ = "0.1.0"
