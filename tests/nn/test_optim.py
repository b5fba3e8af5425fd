"""Optimizers: one and two steps against numbers worked out by hand, state, validation.

Every test starts from w = [1, −2] (decays) and b = [0.5] (does not decay), then applies
g₁ = [0.5, 0.25] (b: 0.5) and g₂ = [−1, 0.5] (b: −1).
"""

import math

import numpy as np
import pytest

from barenet.nn import OPTIMIZERS, SGD, Adam, Parameter, RMSProp, get_optimizer

G1, G2 = [0.5, 0.25], [-1.0, 0.5]
B1, B2 = [0.5], [-1.0]


def params(dtype=np.float64):
    w = Parameter(np.array([1.0, -2.0], dtype=dtype), "W")
    b = Parameter(np.array([0.5], dtype=dtype), "b", decay=False)
    return w, b


def step(optimizer, w, b, gw, gb):
    w.grad[...] = gw
    b.grad[...] = gb
    optimizer.step()


def two_steps(optimizer, w, b):
    step(optimizer, w, b, G1, B1)
    after_one = (w.value.copy(), b.value.copy())
    step(optimizer, w, b, G2, B2)
    return after_one, (w.value.copy(), b.value.copy())


def test_sgd():
    w, b = params()
    (w1, b1), (w2, b2) = two_steps(SGD([w, b], lr=0.1), w, b)
    np.testing.assert_allclose(w1, [0.95, -2.025], rtol=1e-15)
    np.testing.assert_allclose(b1, [0.45], rtol=1e-15)
    np.testing.assert_allclose(w2, [1.05, -2.075], rtol=1e-15)
    np.testing.assert_allclose(b2, [0.55], rtol=1e-15)


def test_sgd_momentum():
    w, b = params()
    (w1, _), (w2, b2) = two_steps(SGD([w, b], lr=0.1, momentum=0.9), w, b)
    # v₁ = g₁ = [0.5, 0.25];  w₁ = w₀ − 0.1 v₁
    np.testing.assert_allclose(w1, [0.95, -2.025], rtol=1e-15)
    # v₂ = 0.9 v₁ + g₂ = [−0.55, 0.725];  w₂ = w₁ − 0.1 v₂
    np.testing.assert_allclose(w2, [1.005, -2.0975], rtol=1e-14)
    # b: v₁ = 0.5, v₂ = 0.45 − 1 = −0.55;  b₂ = 0.5 − 0.05 + 0.055
    np.testing.assert_allclose(b2, [0.505], rtol=1e-14)


def test_sgd_nesterov():
    w, b = params()
    (w1, _), (w2, _) = two_steps(SGD([w, b], lr=0.1, momentum=0.9, nesterov=True), w, b)
    # v₁ = [0.5, 0.25];  step g₁ + 0.9 v₁ = [0.95, 0.475]
    np.testing.assert_allclose(w1, [0.905, -2.0475], rtol=1e-14)
    # v₂ = [−0.55, 0.725];  step g₂ + 0.9 v₂ = [−1.495, 1.1525]
    np.testing.assert_allclose(w2, [1.0545, -2.16275], rtol=1e-14)


def test_sgd_weight_decay_skips_biases():
    w, b = params()
    (w1, b1), (w2, b2) = two_steps(SGD([w, b], lr=0.1, weight_decay=0.1), w, b)
    # g₁ + 0.1 w₀ = [0.6, 0.05]
    np.testing.assert_allclose(w1, [0.94, -2.005], rtol=1e-14)
    # g₂ + 0.1 w₁ = [−0.906, 0.2995]
    np.testing.assert_allclose(w2, [1.0306, -2.03495], rtol=1e-14)
    np.testing.assert_allclose([b1[0], b2[0]], [0.45, 0.55], rtol=1e-14)


def test_sgd_momentum_with_weight_decay():
    w, b = params()
    _, (w2, _) = two_steps(SGD([w, b], lr=0.1, momentum=0.9, weight_decay=0.1), w, b)
    # v₁ = [0.6, 0.05];  v₂ = 0.9 v₁ + [−0.906, 0.2995] = [−0.366, 0.3445]
    np.testing.assert_allclose(w2, [0.9766, -2.03945], rtol=1e-14)


def adam_by_hand(w0, grads, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, decay=0.0):
    """The Adam paper's algorithm for one scalar, written out plainly."""
    w, m, v, history = w0, 0.0, 0.0, []
    for t, g in enumerate(grads, start=1):
        g = g + decay * w
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        w = w - lr * m_hat / (math.sqrt(v_hat) + eps)
        history.append(w)
    return history


def test_adam():
    w, b = params()
    (w1, b1), (w2, _) = two_steps(Adam([w, b], lr=0.1), w, b)
    # Step 1: m̂ = g, v̂ = g², so every entry moves by lr·g/(|g| + ε) ≈ 0.1 against its sign.
    np.testing.assert_allclose(w1, [1 - 0.05 / (0.5 + 1e-8), -2 - 0.025 / (0.25 + 1e-8)])
    np.testing.assert_allclose(b1, [0.4], rtol=1e-7)
    # Step 2, first entry: m = 0.9·0.05 − 0.1 = −0.055, v = 0.999·0.00025 + 0.001 = 0.00124975.
    m_hat, v_hat = -0.055 / 0.19, 0.00124975 / (1 - 0.999**2)
    assert w2[0] == pytest.approx(w1[0] - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8), rel=1e-12)
    assert w2[0] == pytest.approx(0.9366104, abs=1e-7)
    np.testing.assert_allclose(
        w2, [adam_by_hand(1.0, [0.5, -1.0])[1], adam_by_hand(-2.0, [0.25, 0.5])[1]]
    )


def test_adam_two_steps_second_entry():
    w, b = params()
    _, (w2, b2) = two_steps(Adam([w, b], lr=0.1, betas=(0.8, 0.99), eps=1e-6), w, b)
    by_hand = {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6}
    assert w2[1] == pytest.approx(adam_by_hand(-2.0, [0.25, 0.5], **by_hand)[1], rel=1e-12)
    assert b2[0] == pytest.approx(adam_by_hand(0.5, [0.5, -1.0], **by_hand)[1], rel=1e-12)


def test_adam_weight_decay():
    w, b = params()
    (w1, _), (w2, b2) = two_steps(Adam([w, b], lr=0.1, weight_decay=0.1), w, b)
    np.testing.assert_allclose(w1, [0.9, -2.1], rtol=1e-7)  # g + λw = [0.6, 0.05]: same signs
    np.testing.assert_allclose(
        w2,
        [
            adam_by_hand(1.0, [0.5, -1.0], decay=0.1)[1],
            adam_by_hand(-2.0, [0.25, 0.5], decay=0.1)[1],
        ],
        rtol=1e-12,
    )
    assert b2[0] == pytest.approx(adam_by_hand(0.5, [0.5, -1.0])[1], rel=1e-12)  # no decay


def test_rmsprop():
    w, b = params()
    (w1, _), (w2, _) = two_steps(RMSProp([w, b], lr=0.01, alpha=0.99, eps=1e-8), w, b)
    # v₁ = 0.01 g₁² = [0.0025, 0.000625], √v₁ = [0.05, 0.025]: each entry moves by 0.01 · 10.
    np.testing.assert_allclose(w1, [0.9, -2.1], rtol=1e-7)
    # v₂ = 0.99 v₁ + 0.01 g₂² = [0.012475, 0.00311875]
    step2 = [-0.01 / math.sqrt(0.012475), 0.005 / math.sqrt(0.00311875)]
    np.testing.assert_allclose(w2, [w1[0] - step2[0], w1[1] - step2[1]], rtol=1e-7)
    np.testing.assert_allclose(w2, [0.9895323, -2.1895322], rtol=1e-7)


def test_rmsprop_weight_decay():
    w, b = params()
    (w1, b1), (w2, _) = two_steps(RMSProp([w, b], lr=0.01, weight_decay=0.1), w, b)
    # g₁ + λw₀ = [0.6, 0.05]: step 1 is again lr·g/|g|·10 = 0.1 per entry; b has no decay.
    np.testing.assert_allclose(w1, [0.9, -2.1], rtol=1e-6)
    np.testing.assert_allclose(b1, [0.4], rtol=1e-6)
    g = [-1.0 + 0.1 * w1[0], 0.5 + 0.1 * w1[1]]  # [−0.91, 0.29]
    v = [0.99 * 0.01 * 0.36 + 0.01 * g[0] ** 2, 0.99 * 0.01 * 0.0025 + 0.01 * g[1] ** 2]
    expected = [w1[i] - 0.01 * g[i] / (math.sqrt(v[i]) + 1e-8) for i in range(2)]
    np.testing.assert_allclose(w2, expected, rtol=1e-12)


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, lr=0.1),
        lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
        lambda ps: Adam(ps, lr=0.01, weight_decay=0.01),
        lambda ps: RMSProp(ps, lr=0.01),
    ],
    ids=["sgd", "nesterov", "adam", "rmsprop"],
)
def test_state_dict_round_trip_resumes_exactly(make):
    w, b = params()
    first = make([w, b])
    step(first, w, b, G1, B1)
    step(first, w, b, G2, B2)
    state = first.state_dict()
    w_copy, b_copy = Parameter(w.value.copy(), "W"), Parameter(b.value.copy(), "b", decay=False)
    second = make([w_copy, b_copy])
    second.load_state_dict(state)
    assert second.steps == first.steps == 2
    for g, gb in ([[0.3, -0.7], [0.2]], [[-0.1, 0.4], [0.9]]):
        step(first, w, b, g, gb)
        step(second, w_copy, b_copy, g, gb)
    np.testing.assert_array_equal(w_copy.value, w.value)
    np.testing.assert_array_equal(b_copy.value, b.value)


def test_state_dict_is_a_copy():
    w, b = params()
    adam = Adam([w, b])
    step(adam, w, b, G1, B1)
    state = adam.state_dict()
    before = state["buffers"]["m"][0].copy()
    step(adam, w, b, G2, B2)
    np.testing.assert_array_equal(state["buffers"]["m"][0], before)
    assert state["steps"] == 1
    assert state["config"] == {
        "name": "adam",
        "lr": 0.001,
        "weight_decay": 0.0,
        "betas": [0.9, 0.999],
        "eps": 1e-8,
    }


def test_load_state_dict_rejects_what_does_not_fit():
    w, b = params()
    adam = Adam([w, b])
    with pytest.raises(ValueError, match="optimizer state is for 'sgd', not 'adam'"):
        adam.load_state_dict(SGD([w, b], momentum=0.9).state_dict())
    other = Adam([Parameter(np.zeros(3))])
    with pytest.raises(ValueError, match="1 'm' arrays for 2 parameters"):
        adam.load_state_dict(other.state_dict())
    w3, b3 = Parameter(np.zeros(3)), Parameter(np.zeros(1))
    with pytest.raises(ValueError, match=r"buffer 'm' has shape \(3,\), expected \(2,\)"):
        adam.load_state_dict(Adam([w3, b3]).state_dict())
    with pytest.raises(ValueError, match="has buffers"):
        SGD([w, b], momentum=0.9).load_state_dict(SGD([w, b]).state_dict())


def test_step_leaves_grad_alone_and_zero_grad_clears_it():
    w, b = params()
    opt = SGD([w, b], lr=0.1, weight_decay=0.5, momentum=0.5)
    w.grad[...] = G1
    opt.step()
    np.testing.assert_array_equal(w.grad, G1)
    opt.zero_grad()
    np.testing.assert_array_equal(w.grad, 0)
    np.testing.assert_array_equal(b.grad, 0)


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_float32_parameters_stay_float32(name):
    w, b = params(np.float32)
    opt = get_optimizer({"name": name, "momentum": 0.9} if name == "sgd" else name, [w, b])
    step(opt, w, b, G1, B1)
    assert w.value.dtype == np.float32 and b.value.dtype == np.float32
    assert all(a.dtype == np.float32 for arrays in opt.buffers.values() for a in arrays)


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, lr=0.2, momentum=0.5, nesterov=True, weight_decay=1e-3),
        lambda ps: Adam(ps, lr=0.01, betas=(0.8, 0.9), eps=1e-6),
        lambda ps: RMSProp(ps, lr=0.01, alpha=0.9, eps=1e-7, weight_decay=1e-4),
    ],
    ids=["sgd", "adam", "rmsprop"],
)
def test_config_round_trip(make):
    opt = make(list(params()))
    rebuilt = get_optimizer(opt.get_config(), list(params()))
    assert type(rebuilt) is type(opt)
    assert rebuilt.get_config() == opt.get_config()


def test_unknown_optimizer_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown optimizer 'adagrad'") as info:
        get_optimizer("adagrad", list(params()))
    for name in ("adam", "rmsprop", "sgd"):
        assert repr(name) in str(info.value)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda ps: SGD(ps, lr=0), r"lr must be a number in \(0.0, inf\], got 0"),
        (lambda ps: SGD(ps, lr=float("nan")), "lr must be a number"),
        (lambda ps: SGD(ps, momentum=1.0), r"momentum must be a number in \[0.0, 1.0\)"),
        (lambda ps: SGD(ps, nesterov=True), "nesterov=True needs a momentum > 0"),
        (lambda ps: SGD(ps, weight_decay=-1), "weight_decay must be a number"),
        (lambda ps: Adam(ps, betas=(0.9,)), "betas must be a pair"),
        (lambda ps: Adam(ps, betas=(0.9, 1.0)), "beta2 must be a number"),
        (lambda ps: Adam(ps, eps=0), "eps must be a number"),
        (lambda ps: RMSProp(ps, alpha=-0.1), "alpha must be a number"),
        (lambda ps: SGD([], lr=0.1), "empty parameter list"),
        (lambda ps: get_optimizer({"lr": 0.1}, ps), "config dict with 'name'"),
        (lambda ps: get_optimizer({"name": "sgd", "beta": 0.1}, ps), "bad arguments for optimizer"),
    ],
)
def test_bad_arguments_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make(list(params()))


def test_parameters_must_be_parameters():
    with pytest.raises(TypeError, match="must be Parameters, got ndarray"):
        SGD([np.zeros(2)])


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, lr=0.1),
        lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
        lambda ps: SGD(ps, lr=0.1, weight_decay=0.01),
        lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
        lambda ps: Adam(ps, lr=0.01),
        lambda ps: Adam(ps, lr=0.01, weight_decay=0.01),
        lambda ps: RMSProp(ps, lr=0.01, weight_decay=0.01),
    ],
)
def test_a_packed_network_steps_exactly_as_parameter_by_parameter(make, rng):
    """A Sequential's parameters share one buffer and are stepped as one; copies of them
    that do not share it are stepped one by one. Both must give the same bits."""
    from barenet.nn import Sequential

    model = Sequential.from_sizes([5, 4, 3], activation="relu", seed=0)
    loose = [Parameter(p.value.copy(), p.name, decay=p.decay) for p in model.parameters()]
    packed_opt, loose_opt = make(model.parameters()), make(loose)
    # One whole-buffer update, weight decay included (it skips the biases by a mask).
    assert len(packed_opt._groups()) == 1
    assert len(loose_opt._groups()) == len(loose)
    for _ in range(3):
        for p, q in zip(model.parameters(), loose, strict=True):
            q.grad[...] = p.grad[...] = rng.standard_normal(p.shape)
        packed_opt.step()
        loose_opt.step()
    for p, q in zip(model.parameters(), loose, strict=True):
        np.testing.assert_array_equal(p.value, q.value)
    for name, arrays in packed_opt.state_dict()["buffers"].items():
        for mine, theirs in zip(arrays, loose_opt.state_dict()["buffers"][name], strict=True):
            np.testing.assert_array_equal(mine, theirs)


def test_a_parameter_replaced_after_packing_is_still_updated():
    from barenet.nn import Sequential

    model = Sequential.from_sizes([3, 2], seed=0)
    opt = SGD(model.parameters(), lr=1.0)
    W = model.layers[0].W
    W.value = W.value.copy()  # no longer a view of the packed buffer
    W.grad = np.ones_like(W.value)
    before = W.value.copy()
    opt.step()
    np.testing.assert_allclose(W.value, before - 1.0)
