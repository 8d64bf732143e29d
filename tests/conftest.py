"""Shared pytest settings for the tests of mnistlin."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "real_mnist: reads the real MNIST from the user cache (skipped when it is not there)",
    )
