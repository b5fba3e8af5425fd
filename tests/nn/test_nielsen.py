"""Seed 000's ``Network(sizes)`` API: a column-vector adapter over the same engine."""

import numpy as np
import pytest

import barenet
from barenet.nn import Network, Sequential, nielsen


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def nielsen_backprop(weights, biases, x, y, cost):
    """Nielsen's ``network.py`` backprop for one column example, written independently."""
    activation, activations, zs = x, [x], []
    for w, b in zip(weights, biases, strict=True):
        z = w @ activation + b
        zs.append(z)
        activation = sigmoid(z)
        activations.append(activation)
    delta = activations[-1] - y  # cross-entropy: σ'(z) cancels
    if cost == "quadratic":
        delta = delta * sigmoid(zs[-1]) * (1 - sigmoid(zs[-1]))
    nabla_b, nabla_w = [delta], [delta @ activations[-2].T]
    for layer in range(2, len(weights) + 1):
        sp = sigmoid(zs[-layer]) * (1 - sigmoid(zs[-layer]))
        delta = (weights[-layer + 1].T @ delta) * sp
        nabla_b.insert(0, delta)
        nabla_w.insert(0, delta @ activations[-layer - 1].T)
    return nabla_b, nabla_w


def column_data(rng, n, sizes=(4, 5, 3)):
    """n examples (x (n_in, 1), one-hot y (n_out, 1))."""
    xs = rng.standard_normal((n, sizes[0], 1))
    ids = rng.integers(0, sizes[-1], n)
    return [(x, np.eye(sizes[-1])[i].reshape(-1, 1)) for x, i in zip(xs, ids, strict=True)]


@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy"])
def test_backprop_matches_nielsens_algorithm(cost, rng):
    net = Network([4, 5, 3], cost=cost, seed=0)
    x, y = column_data(rng, 1)[0]
    nabla_b, nabla_w = net.backprop(x, y)
    expected_b, expected_w = nielsen_backprop(net.weights, net.biases, x, y, cost)
    for got, want in zip(nabla_b + nabla_w, expected_b + expected_w, strict=True):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("cost", "loss"), [("quadratic", "quadratic"), ("cross_entropy", "bce")])
def test_the_adapter_gives_the_engines_gradients(cost, loss, rng):
    net = Network([4, 5, 3], cost=cost, seed=7)
    engine = Sequential.from_sizes([4, 5, 3], dtype="float64", seed=7)
    for d, w, b in zip(engine.layers[::2], net.weights, net.biases, strict=True):
        np.testing.assert_array_equal(d.W.value, w.T)  # the same draws, transposed
        np.testing.assert_array_equal(d.b.value, b.ravel())
    x, y = column_data(rng, 1)[0]
    nabla_b, nabla_w = net.backprop(x, y)
    engine.backprop(x.T, y.T, loss)
    for d, gb, gw in zip(engine.layers[::2], nabla_b, nabla_w, strict=True):
        np.testing.assert_array_equal(gw, d.W.grad.T)
        np.testing.assert_array_equal(gb, d.b.grad.reshape(-1, 1))


def test_update_is_a_step_on_the_mean_gradient(rng):
    net = Network([4, 5, 3], cost="quadratic", seed=1)
    batch = column_data(rng, 6)
    before_w = [w.copy() for w in net.weights]
    before_b = [b.copy() for b in net.biases]
    sums = None
    for x, y in batch:
        nb, nw = nielsen_backprop(before_w, before_b, x, y, "quadratic")
        sums = (
            (nb, nw)
            if sums is None
            else (
                [a + c for a, c in zip(sums[0], nb, strict=True)],
                [a + c for a, c in zip(sums[1], nw, strict=True)],
            )
        )
    net.update(batch, lr=3.0)
    for w, w0, nw in zip(net.weights, before_w, sums[1], strict=True):
        np.testing.assert_allclose(w, w0 - 3.0 / len(batch) * nw, rtol=1e-12)
    for b, b0, nb in zip(net.biases, before_b, sums[0], strict=True):
        np.testing.assert_allclose(b, b0 - 3.0 / len(batch) * nb, rtol=1e-12)


def test_weights_and_biases_are_views_of_the_engine():
    net = Network([3, 2], seed=0)
    assert net.weights[0].shape == (2, 3) and net.biases[0].shape == (2, 1)
    net.weights[0][1, 2] = 5.0
    net.biases[0][0, 0] = -4.0
    dense = net.model.layers[0]
    assert dense.W.value[2, 1] == 5.0 and dense.b.value[0] == -4.0


def test_ff_takes_columns(rng):
    net = Network([4, 5, 3], seed=0)
    xs = rng.standard_normal((4, 6))
    out = net.ff(xs)
    assert out.shape == (3, 6)
    np.testing.assert_allclose(net.ff(xs[:, :1]), out[:, :1])
    np.testing.assert_allclose(net.ff(xs[:, 0]), out[:, :1])
    a = xs[:, :1]
    for w, b in zip(net.weights, net.biases, strict=True):
        a = sigmoid(w @ a + b)
    np.testing.assert_allclose(out[:, :1], a)
    with pytest.raises(ValueError, match=r"ff expects a column vector of shape \(4, 1\)"):
        net.ff(xs.T)
    with pytest.raises(ValueError, match="NaN or infinite"):
        net.ff(np.full((4, 1), np.nan))


def blobs(rng, n):
    """Two classes of points in 4-D, separable: the class is the sign of the first feature."""
    x = rng.standard_normal((n, 4))
    x[:, 0] = np.where(rng.random(n) < 0.5, -1.5, 1.5) + 0.3 * x[:, 0]
    ids = (x[:, 0] > 0).astype(int)
    return x, ids


def test_sgd_learns_and_prints_progress_and_accuracy(rng, capsys):
    x, ids = blobs(rng, 300)
    train = [(xi.reshape(4, 1), np.eye(2)[i].reshape(2, 1)) for xi, i in zip(x, ids, strict=True)]
    tx, tids = blobs(rng, 100)
    test = [(xi.reshape(4, 1), int(i)) for xi, i in zip(tx, tids, strict=True)]
    net = barenet.Network([4, 8, 2], cost="quadratic", seed=0)
    accuracies = net.sgd(epochs=3, batch_size=10, lr=3.0, train=train, test=test)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(accuracies) == 3
    for epoch, (line, acc) in enumerate(zip(lines, accuracies, strict=True)):
        correct = round(acc * 100)
        assert line == f"Epoch {epoch}: {correct} / 100 ({acc:.2%})"
    assert accuracies[-1] >= 0.95
    assert net.evaluate(test) == round(accuracies[-1] * 100)


def test_sgd_without_test_data_prints_each_epoch(rng, capsys):
    train = column_data(rng, 12)
    assert Network([4, 5, 3], seed=0).sgd(2, 5, 0.5, train) == []
    assert capsys.readouterr().out == "Epoch 0 complete\nEpoch 1 complete\n"


def test_sgd_uses_every_example_once_per_epoch(rng):
    """The seed sliced ``train[b:batch_size]``; here every mini-batch is full but the last."""

    class Recording(Network):
        batches: list

        def update(self, mini_batch, lr):
            self.batches.append([id(x) for x, _ in mini_batch])
            super().update(mini_batch, lr)

    train = column_data(rng, 25)
    net = Recording([4, 5, 3], seed=0)
    net.batches = []
    net.sgd(epochs=2, batch_size=10, lr=0.1, train=train)
    assert [len(b) for b in net.batches] == [10, 10, 5, 10, 10, 5]
    for epoch in (net.batches[:3], net.batches[3:]):
        assert sorted(i for b in epoch for i in b) == sorted(id(x) for x, _ in train)
    assert net.batches[0] != net.batches[3]  # shuffled each epoch


def test_sgd_is_reproducible_with_a_seed(rng):
    train = column_data(rng, 20)
    a, b = Network([4, 5, 3], seed=3), Network([4, 5, 3], seed=3)
    a.sgd(2, 4, 0.5, train)
    b.sgd(2, 4, 0.5, train)
    for wa, wb in zip(a.weights, b.weights, strict=True):
        np.testing.assert_array_equal(wa, wb)


def test_evaluate_takes_ids_or_one_hot_columns(rng):
    net = Network([4, 5, 3], seed=0)
    data = column_data(rng, 30)
    predicted = [int(np.argmax(net.ff(x))) for x, _ in data]
    truth = [int(np.argmax(y)) for _, y in data]
    expected = sum(p == t for p, t in zip(predicted, truth, strict=True))
    assert net.evaluate(data) == expected
    assert net.evaluate([(x, t) for (x, _), t in zip(data, truth, strict=True)]) == expected
    assert net.evaluate([]) == 0


def test_bad_arguments_raise(rng):
    with pytest.raises(
        ValueError, match=r"unknown cost 'hinge'; valid names are \['cross_entropy'"
    ):
        Network([2, 2], cost="hinge")
    net = Network([4, 5, 3], seed=0)
    with pytest.raises(ValueError, match="epochs and batch_size must be positive"):
        net.sgd(1, 0, 0.1, column_data(rng, 3))
    with pytest.raises(ValueError, match="empty mini-batch"):
        net.update([], 0.1)
    with pytest.raises(ValueError, match="sizes must be positive integers"):
        Network([4, 0, 3])


def test_the_docstring_says_what_was_fixed_from_the_seed():
    assert "train[b:batch_size]" in nielsen.__doc__
    assert "train[k:k + batch_size]" in nielsen.__doc__
