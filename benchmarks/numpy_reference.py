"""The plain NumPy baseline: the multilayer perceptron a competent person would write.

Row-major batches, float32, one matmul per layer, ReLU hidden layers, softmax
cross-entropy output with the usual ``(p − onehot) / B`` gradient, plain SGD or Adam.
No tricks: every batch allocates its activations and gradients afresh and gathers its rows
with fancy indexing. The one thing it does not do is compute the gradient with respect to
the input images, which nobody writing this by hand would bother with either.
"""

from __future__ import annotations

import numpy as np


class NumpyMLP:
    """weights[i] has shape (n_in, n_out), biases[i] shape (n_out,)."""

    def __init__(self, weights: list[np.ndarray], biases: list[np.ndarray]) -> None:
        self.weights = [w.astype(np.float32, copy=True) for w in weights]
        self.biases = [b.astype(np.float32, copy=True) for b in biases]

    def forward(self, x: np.ndarray) -> list[np.ndarray]:
        """Activations of every layer: [x, relu(z1), ..., logits]."""
        acts = [x]
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = acts[-1] @ w + b
            acts.append(z if i == len(self.weights) - 1 else np.maximum(z, 0))
        return acts

    def gradients(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """(mean cross-entropy, dC/dW per layer, dC/db per layer) for one batch."""
        acts = self.forward(x)
        logits = acts[-1]
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        sums = exp.sum(axis=1, keepdims=True)
        rows = np.arange(len(y))
        loss = float(np.mean(np.log(sums[:, 0]) - shifted[rows, y]))
        delta = exp / sums
        delta[rows, y] -= 1
        delta /= len(y)
        grads_w: list[np.ndarray] = []
        grads_b: list[np.ndarray] = []
        for i in reversed(range(len(self.weights))):
            grads_w.insert(0, acts[i].T @ delta)
            grads_b.insert(0, delta.sum(axis=0))
            if i > 0:
                delta = (delta @ self.weights[i].T) * (acts[i] > 0)
        return loss, grads_w, grads_b

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.argmax(self.forward(x)[-1], axis=1)


class NumpySGD:
    """w ← w − η g."""

    def __init__(self, lr: float) -> None:
        self.lr = lr

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        for p, g in zip(params, grads, strict=True):
            p -= self.lr * g


class NumpyAdam:
    """Adam with bias correction, as in Kingma & Ba (and torch.optim.Adam)."""

    def __init__(
        self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.t = 0

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        if not self.m:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.t += 1
        c1 = 1 - self.beta1**self.t
        c2 = 1 - self.beta2**self.t
        for p, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            m[...] = self.beta1 * m + (1 - self.beta1) * g
            v[...] = self.beta2 * v + (1 - self.beta2) * g * g
            p -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)


def train_epoch(
    model: NumpyMLP,
    optimizer: NumpySGD | NumpyAdam,
    x: np.ndarray,
    y: np.ndarray,
    batches: list[np.ndarray],
) -> float:
    """One pass over ``batches`` (index arrays into x, y); returns the mean batch loss."""
    total = 0.0
    for idx in batches:
        loss, gw, gb = model.gradients(x[idx], y[idx])
        optimizer.step(model.weights + model.biases, gw + gb)
        total += loss
    return total / max(1, len(batches))
