"""mnistlin: the small support library of the book *How a linear model reads digits*.

Each module holds the computations of one part of the book; import the one you need,
e.g. ``from mnistlin import templates``:

- :mod:`mnistlin.data` loads and checks MNIST (``load_mnist``, ``to_features``);
- :mod:`mnistlin.linear` scores, predictions and evidence maps of any linear classifier;
- :mod:`mnistlin.separability` certificates of linear separability (chapter 1);
- :mod:`mnistlin.softmax` softmax regression, full batch and minibatch (chapter 2);
- :mod:`mnistlin.least_squares` least squares onto one-hot targets (chapter 3);
- :mod:`mnistlin.templates` class-mean and contrast templates (chapters 4 and 5);
- :mod:`mnistlin.dual` weights as weighted sums of training digits (chapter 6);
- :mod:`mnistlin.transforms` shifted and shuffled pixels (chapter 7);
- :mod:`mnistlin.explore` the computations and widgets of the interactive explorers;
- :mod:`mnistlin.plots` the figures.
"""

from .data import MNIST, MNISTNotFoundError, cache_dir, load_mnist, to_features

__all__ = ["MNIST", "MNISTNotFoundError", "cache_dir", "load_mnist", "to_features"]
__version__ = "0.1.0"
