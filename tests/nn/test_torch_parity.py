"""Parity with PyTorch's conv2d, max_pool2d, avg_pool2d and batch_norm, forward and backward,
on random inputs (float64). Runs when PyTorch is installed (the ``bench`` extra)."""

import numpy as np
import pytest

from barenet.nn import AvgPool2D, BatchNorm, Conv2D, MaxPool2D

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install -e '.[bench]')")
F = torch.nn.functional


def nchw(x):
    """barenet's (B, H, W, C) as a torch tensor (B, C, H, W) that records gradients."""
    return torch.tensor(np.ascontiguousarray(x.transpose(0, 3, 1, 2)), requires_grad=True)


def nhwc(t):
    return t.detach().numpy().transpose(0, 2, 3, 1)


@pytest.mark.parametrize(
    ("batch", "size", "c_in", "c_out", "kernel", "stride", "padding"),
    [
        (4, 12, 3, 5, 5, 1, 0),
        (1, 9, 2, 4, 3, 2, 1),
        (3, 8, 4, 6, 3, 1, "same"),
        (2, 11, 1, 3, 4, 3, 2),
    ],
)
def test_conv2d_matches_torch(batch, size, c_in, c_out, kernel, stride, padding, rng):
    layer = Conv2D(c_in, c_out, kernel, stride, padding, bias_init="normal", dtype="float64", rng=1)
    x = rng.standard_normal((batch, size, size, c_in))
    tx = nchw(x)
    tw = torch.tensor(layer.W.value.transpose(3, 2, 0, 1).copy(), requires_grad=True)
    tb = torch.tensor(layer.b.value.copy(), requires_grad=True)
    ty = F.conv2d(tx, tw, tb, stride=stride, padding=padding)
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y, nhwc(ty), rtol=1e-10, atol=1e-10)
    g = rng.standard_normal(y.shape)
    ty.backward(torch.tensor(g.transpose(0, 3, 1, 2).copy()))
    grad_x = layer.backward(g)
    np.testing.assert_allclose(grad_x, nhwc(tx.grad), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(layer.W.grad, tw.grad.numpy().transpose(2, 3, 1, 0), rtol=1e-10)
    np.testing.assert_allclose(layer.b.grad, tb.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize(
    ("pool", "torch_pool"), [(MaxPool2D, F.max_pool2d), (AvgPool2D, F.avg_pool2d)]
)
@pytest.mark.parametrize(
    ("size", "stride", "h", "w"), [(2, None, 8, 6), (3, 2, 9, 7), (2, 1, 5, 5)]
)
def test_pooling_matches_torch(pool, torch_pool, size, stride, h, w, rng):
    layer = pool(size, stride)
    x = rng.standard_normal((3, h, w, 4))
    tx = nchw(x)
    ty = torch_pool(tx, size, stride or size)
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y, nhwc(ty), rtol=1e-12)
    g = rng.standard_normal(y.shape)
    ty.backward(torch.tensor(g.transpose(0, 3, 1, 2).copy()))
    np.testing.assert_allclose(layer.backward(g), nhwc(tx.grad), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(16, 5), (4, 6, 7, 5)])
def test_batch_norm_matches_torch(shape, rng):
    layer = BatchNorm(5, momentum=0.3, dtype="float64")
    layer.gamma.value[...] = rng.standard_normal(5)
    layer.beta.value[...] = rng.standard_normal(5)
    x = rng.standard_normal(shape) * 2 + 0.5
    images = len(shape) == 4
    tx = nchw(x) if images else torch.tensor(x, requires_grad=True)
    gamma = torch.tensor(layer.gamma.value.copy(), requires_grad=True)
    beta = torch.tensor(layer.beta.value.copy(), requires_grad=True)
    running_mean, running_var = (
        torch.zeros(5, dtype=torch.float64),
        torch.ones(5, dtype=torch.float64),
    )
    ty = F.batch_norm(
        tx, running_mean, running_var, gamma, beta, training=True, momentum=0.3, eps=layer.eps
    )
    y = layer.forward(x, training=True)
    as_ours = nhwc if images else (lambda t: t.detach().numpy())
    np.testing.assert_allclose(y, as_ours(ty), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(layer.running_mean, running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, running_var.numpy(), rtol=1e-12)
    g = rng.standard_normal(y.shape)
    ty.backward(torch.tensor(g.transpose(0, 3, 1, 2).copy() if images else g))
    np.testing.assert_allclose(layer.backward(g), as_ours(tx.grad), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(layer.gamma.grad, gamma.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.beta.grad, beta.grad.numpy(), rtol=1e-10)
    # Inference uses the running statistics, as torch's eval mode does.
    ty_eval = F.batch_norm(
        tx, running_mean, running_var, gamma, beta, training=False, eps=layer.eps
    )
    np.testing.assert_allclose(layer.forward(x), as_ours(ty_eval), rtol=1e-10, atol=1e-10)
