"""Shuffled mini-batches: seeded, complete, buffer-reusing; and one-hot labels."""

import numpy as np
import pytest

from barenet.data import Batches, one_hot


def dataset(n=103, d=5):
    x = np.arange(n * d, dtype=np.float32).reshape(n, d)
    y = (np.arange(n) % 10).astype(np.uint8)
    return x, y


def epoch(batches):
    """Copies of every batch of one epoch (the yielded arrays are reused buffers)."""
    return [(xb.copy(), yb.copy()) for xb, yb in batches]


def test_one_epoch_covers_every_example_exactly_once():
    x, y = dataset()
    rows = np.concatenate([xb[:, 0] for xb, _ in epoch(Batches(x, y, 10, rng=0))])
    assert sorted(rows.astype(int) // 5) == list(range(103))


def test_batches_pair_each_x_with_its_own_y():
    x, y = dataset()
    for xb, yb in Batches(x, y, 16, rng=3):
        np.testing.assert_array_equal(yb, (xb[:, 0].astype(int) // 5) % 10)


def test_len_and_the_short_last_batch():
    x, y = dataset()
    batches = Batches(x, y, 10, rng=0)
    sizes = [len(xb) for xb, _ in batches]
    assert len(batches) == 11 == len(sizes)
    assert sizes == [10] * 10 + [3]


def test_drop_last_drops_the_short_batch_only():
    x, y = dataset()
    batches = Batches(x, y, 10, rng=0, drop_last=True)
    assert len(batches) == 10
    assert [len(xb) for xb, _ in batches] == [10] * 10
    exact = Batches(*dataset(100), 10, rng=0, drop_last=True)
    assert len(exact) == 10 == sum(1 for _ in exact)


def test_same_seed_same_batches_and_a_new_order_each_epoch():
    x, y = dataset()
    a, b = Batches(x, y, 8, rng=np.random.default_rng(7)), Batches(x, y, 8, rng=7)
    first_a, first_b = epoch(a), epoch(b)
    for (xa, ya), (xb, yb) in zip(first_a, first_b, strict=True):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    second_a = epoch(a)
    assert not all(np.array_equal(p[0], q[0]) for p, q in zip(first_a, second_a, strict=True))
    other = epoch(Batches(x, y, 8, rng=8))
    assert not np.array_equal(first_a[0][0], other[0][0])


def rows_of(batches_epoch):
    return np.concatenate([xb[:, 0] for xb, _ in batches_epoch]).astype(int) // 5


def test_an_epoch_is_one_permutation_drawn_from_the_rng():
    x, y = dataset()
    rng = np.random.default_rng(11)
    order = rows_of(epoch(Batches(x, y, 8, rng=rng)))
    reference = np.random.default_rng(11)
    np.testing.assert_array_equal(order, reference.permutation(103))
    # Exactly one draw: the generator is where the reference is after one permutation.
    assert rng.bit_generator.state == reference.bit_generator.state


def test_the_permutation_is_drawn_when_iteration_starts():
    x, y = dataset()
    rng = np.random.default_rng(5)
    before = rng.bit_generator.state
    it = iter(Batches(x, y, 8, rng=rng))
    assert rng.bit_generator.state != before  # drawn by iter(), before the first batch
    assert len(next(it)[0]) == 8


def test_a_restored_rng_state_replays_the_same_epoch():
    """What bit-identical resume relies on: the trainer saves the rng state between epochs."""
    x, y = dataset()
    rng = np.random.default_rng(2)
    batches = Batches(x, y, 8, rng=rng)
    epoch(batches)
    resumed = np.random.default_rng()
    resumed.bit_generator.state = rng.bit_generator.state
    for (xa, ya), (xb, yb) in zip(
        epoch(batches), epoch(Batches(x, y, 8, rng=resumed)), strict=True
    ):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)


def test_batches_are_views_of_two_reused_buffers_not_copies_of_the_data():
    x, y = dataset()
    batches = Batches(x, y, 10, rng=0)
    seen = list(batches)  # without copying: every element is the same two buffers
    first_x, first_y = seen[0]
    for xb, yb in seen:
        assert np.shares_memory(xb, first_x) and np.shares_memory(yb, first_y)
        assert not np.shares_memory(xb, x) and not np.shares_memory(yb, y)
    assert first_x.base is not None  # a view, not a fresh array per batch


def test_one_hot_rows_and_images_of_any_shape_are_batched_too():
    rng = np.random.default_rng(0)
    x = rng.random((30, 4, 4), dtype=np.float32)
    y = one_hot(rng.integers(0, 3, 30), 3)
    for xb, yb in Batches(x, y, 7, rng=1):
        assert xb.shape[1:] == (4, 4) and yb.shape[1:] == (3,)
        assert xb.dtype == np.float32 and yb.dtype == np.float32
    total = sum(yb.sum(axis=0) for _, yb in epoch(Batches(x, y, 7, rng=1)))
    np.testing.assert_array_equal(total, y.sum(axis=0))


def test_a_batch_size_above_n_gives_one_full_batch():
    x, y = dataset(9)
    batches = Batches(x, y, 64, rng=0)
    assert len(batches) == 1
    assert [len(xb) for xb, _ in batches] == [9]


@pytest.mark.parametrize("size", [0, -1, 2.5, True, "8"])
def test_bad_batch_size(size):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        Batches(*dataset(), size, rng=0)


def test_bad_inputs():
    x, y = dataset()
    with pytest.raises(ValueError, match="same number of rows"):
        Batches(x, y[:-1], 8, rng=0)
    with pytest.raises(ValueError, match="empty"):
        Batches(x[:0], y[:0], 8, rng=0)
    with pytest.raises(TypeError, match="rng must be a numpy Generator or an int seed"):
        Batches(x, y, 8, rng=np.random.RandomState(0))


def test_one_hot():
    out = one_hot(np.array([2, 0, 1, 2], dtype=np.uint8), 3)
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert out.dtype == np.float32
    assert one_hot(np.array([9]), dtype=np.float64).shape == (1, 10)
    assert one_hot(np.array([9]), dtype=np.float64).dtype == np.float64
    assert one_hot(np.array([], dtype=np.int64), 4).shape == (0, 4)


@pytest.mark.parametrize(
    ("y", "classes", "message"),
    [
        (np.array([0, 10]), 10, r"class ids must lie in \[0, 10\), got values from 0 to 10"),
        (np.array([-1, 2]), 10, "class ids must lie in"),
        (np.array([[0, 1]]), 10, "integer class ids of shape"),
        (np.array([0.5]), 10, "integer class ids of shape"),
        (np.array([0]), 0, "num_classes must be a positive integer, got 0"),
    ],
)
def test_one_hot_rejects_bad_ids(y, classes, message):
    with pytest.raises(ValueError, match=message):
        one_hot(y, classes)
