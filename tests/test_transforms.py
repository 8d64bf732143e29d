import numpy as np
import pytest

from mnistlin.transforms import centre_of_mass, permute_pixels, shift_images


def one_dot(row, col):
    image = np.zeros((1, 28, 28), dtype=np.uint8)
    image[0, row, col] = 200
    return image


def test_shift_moves_a_dot_and_drops_what_leaves_the_frame():
    moved = shift_images(one_dot(5, 7), dy=2, dx=-3)
    assert moved[0, 7, 4] == 200 and moved.sum() == 200
    assert moved.dtype == np.uint8
    assert shift_images(one_dot(27, 0), dy=1).sum() == 0  # pushed off the bottom


def test_shift_by_zero_is_a_copy():
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    out = shift_images(images)
    assert np.array_equal(out, images) and out is not images


@pytest.mark.parametrize("bad", [1.5, 28, -28, True])
def test_shift_rejects_bad_amounts(bad):
    with pytest.raises(ValueError, match="dx"):
        shift_images(one_dot(1, 1), dx=bad)


def test_shift_rejects_flat_images():
    with pytest.raises(ValueError, match=r"\(n, 28, 28\)"):
        shift_images(np.zeros((2, 784)))


def test_permute_pixels_is_undone_by_the_inverse_permutation():
    rng = np.random.default_rng(1)
    X = rng.random((4, 10), dtype=np.float32)
    perm = rng.permutation(10)
    shuffled = permute_pixels(X, perm)
    assert np.array_equal(shuffled[:, np.argsort(perm)], X)
    # a dot product is unchanged when both vectors are permuted alike
    w = rng.random(10, dtype=np.float32)
    assert np.allclose(shuffled @ w[perm], X @ w)


@pytest.mark.parametrize("perm", [[0, 1, 1], [0, 1], [0.0, 1.0, 2.0], [0, 1, 3]])
def test_permute_pixels_rejects_non_permutations(perm):
    with pytest.raises(ValueError, match="permutation"):
        permute_pixels(np.zeros((2, 3)), perm)


def test_centre_of_mass_of_dots_and_of_a_blank_image():
    images = np.concatenate([one_dot(3, 20), np.zeros((1, 28, 28), np.uint8)])
    images[0, 5, 20] = 200  # a second dot of equal mass: the centre is between them
    com = centre_of_mass(images)
    assert np.allclose(com[0], [4.0, 20.0])
    assert np.isnan(com[1]).all()


def test_centre_of_mass_rejects_negative_ink():
    with pytest.raises(ValueError, match="non-negative"):
        centre_of_mass(-np.ones((1, 28, 28)))
