"""Each augmentation does what it promises: shift distances and fill, rotation and scale
bounds recovered from a pattern's moments, the elastic field's statistics against α and σ,
ink kept, labels kept, seeds reproducible, shapes and dtypes kept, bad settings named."""

import math
import re

import numpy as np
import pytest

from barenet.io import read_checkpoint
from barenet.nn import Adam
from barenet.train import Model, ModelCheckpoint, Recipe, Trainer
from barenet.train.augment import (
    Augmentation,
    affine_coordinates,
    elastic_displacement,
    gaussian_kernel,
    sample_bilinear,
)

H = W = 28
N = 2000  # images per statistical test


def gaussian_pattern(sy, sx, h=H, w=W):
    """An axis-aligned Gaussian blob at the image centre, (h, w): std ``sy`` along rows,
    ``sx`` along columns."""
    r = np.arange(h)[:, None] - (h - 1) / 2
    c = np.arange(w)[None, :] - (w - 1) / 2
    return np.exp(-(r**2) / (2 * sy**2) - c**2 / (2 * sx**2))


def ring(h=H, w=W, radius=6.0, width=1.5):
    """A '0'-like stroke inside the 20×20 box MNIST digits live in."""
    r = np.hypot(np.arange(h)[:, None] - (h - 1) / 2, np.arange(w)[None, :] - (w - 1) / 2)
    return np.exp(-((r - radius) ** 2) / (2 * width**2))


def batch(image, n=N, dtype=np.float32):
    return np.repeat(image[None, :, :, None], n, axis=0).astype(dtype)


def moments(images):
    """Ink, and the covariance of ink in screen coordinates (u right, v up): (Cuu, Cvv, Cuv)."""
    img = images[..., 0].astype(np.float64)
    h, w = img.shape[1:]
    u = np.arange(w)[None, None, :]
    v = -np.arange(h)[None, :, None]
    ink = img.sum(axis=(1, 2))
    mu = (img * u).sum(axis=(1, 2)) / ink
    mv = (img * v).sum(axis=(1, 2)) / ink
    du, dv = u - mu[:, None, None], v - mv[:, None, None]
    cuu = (img * du**2).sum(axis=(1, 2)) / ink
    cvv = (img * dv**2).sum(axis=(1, 2)) / ink
    cuv = (img * du * dv).sum(axis=(1, 2)) / ink
    return ink, cuu, cvv, cuv


def orientation(images):
    """Angle of the ink's principal axis, in degrees counter-clockwise from the x axis."""
    _, cuu, cvv, cuv = moments(images)
    return np.degrees(0.5 * np.arctan2(2 * cuv, cuu - cvv))


def size(images):
    """The ink's spread, sqrt(Cuu + Cvv): proportional to a zoom factor."""
    _, cuu, cvv, _ = moments(images)
    return np.sqrt(cuu + cvv)


def augment(config, x, seed=0, shape=(H, W, 1)):
    return Augmentation.from_config(config).for_input(shape)(x, np.random.default_rng(seed))


# ---------------------------------------------------------------------------------- shift
def test_shift_moves_by_whole_pixels_up_to_n_and_fills_with_background():
    rng = np.random.default_rng(1)
    content = rng.uniform(0.1, 1.0, (N, H, W)).astype(np.float32)
    marker = np.zeros((N, H, W), np.float32)
    marker[:, 13, 13] = 1.0
    x = np.stack([marker, content], axis=-1)  # every channel gets the same shift
    out = augment({"shift": 3}, x, seed=4, shape=(H, W, 2))
    where = out[..., 0].reshape(N, -1).argmax(axis=1)
    dy, dx = where // W - 13, where % W - 13
    assert np.all(out[..., 0].reshape(N, -1).sum(axis=1) == 1)  # the marker stays whole
    # Every distance from -3 to 3 along each axis occurs, none beyond.
    assert sorted(set(dy)) == sorted(set(dx)) == list(range(-3, 4))
    for i in range(0, N, 97):
        expected = np.zeros((H, W), np.float32)
        src = content[i, max(-dy[i], 0) : H - max(dy[i], 0), max(-dx[i], 0) : W - max(dx[i], 0)]
        expected[max(dy[i], 0) : H - max(-dy[i], 0), max(dx[i], 0) : W - max(-dx[i], 0)] = src
        np.testing.assert_array_equal(out[i, ..., 1], expected)
    # The uncovered rows and columns, and only they, are background.
    zeros = (out[..., 1] == 0).sum(axis=(1, 2))
    np.testing.assert_array_equal(zeros, np.abs(dy) * W + np.abs(dx) * H - np.abs(dy * dx))


def test_the_shift_preset_is_two_pixels_drawn_as_before():
    """``augment = "shift"`` is ``{shift = 2}``, and draws dy then dx for the batch as the
    earlier code did, so runs of the shipped recipes are unchanged."""
    assert Augmentation.from_config("shift") == Augmentation(shift=2)
    x = np.zeros((500, H * W), np.float32)
    x[:, 13 * W + 13] = 1.0
    where = augment("shift", x, seed=8).argmax(axis=1)
    rng = np.random.default_rng(8)
    dy, dx = rng.integers(-2, 3, size=500), rng.integers(-2, 3, size=500)
    np.testing.assert_array_equal(where // W - 13, dy)
    np.testing.assert_array_equal(where % W - 13, dx)


# ---------------------------------------------------------------------------------- affine
def test_a_given_rotation_turns_a_pattern_clockwise_by_that_angle():
    bar = batch(gaussian_pattern(1.5, 5.0), n=3)
    y, x = affine_coordinates((H, W), np.array([10.0, -25.0, 0.0]), np.ones(3))
    out = sample_bilinear(bar, y, x)
    np.testing.assert_allclose(orientation(out), [-10.0, 25.0, 0.0], atol=0.3)
    np.testing.assert_allclose(size(out), size(bar), rtol=0.01)  # turned, not zoomed
    np.testing.assert_allclose(moments(out)[0], moments(bar)[0], rtol=0.01)  # ink kept


def test_a_given_scale_zooms_a_pattern_by_that_factor():
    blob = batch(gaussian_pattern(3.5, 3.5), n=3)
    y, x = affine_coordinates((H, W), np.zeros(3), np.array([0.9, 1.0, 1.1]))
    out = sample_bilinear(blob, y, x)
    # Bilinear resampling blurs by at most 1/4 px² per axis: under 1% of this blob's size.
    np.testing.assert_allclose(size(out) / size(blob), [0.9, 1.0, 1.1], rtol=0.01)
    np.testing.assert_allclose(moments(out)[0] / moments(blob)[0], [0.81, 1.0, 1.21], rtol=0.01)


def test_random_rotations_stay_within_the_bound_and_fill_it():
    bar = batch(gaussian_pattern(1.5, 5.0))
    angles = orientation(augment({"rotate": 10}, bar, seed=2))
    assert np.abs(angles).max() <= 10.3
    assert angles.min() < -9.5 and angles.max() > 9.5
    # Uniform on [-10, 10]: mean 0, std 10/√3.
    assert abs(angles.mean()) < 0.5
    assert angles.std() == pytest.approx(10 / math.sqrt(3), rel=0.06)
    np.testing.assert_allclose(size(augment({"rotate": 10}, bar, seed=2)), size(bar)[0], 0.01)


def test_random_scales_stay_within_the_bound_and_fill_it():
    blob = batch(gaussian_pattern(3.5, 3.5))
    out = augment({"scale": 0.1}, blob, seed=3)
    zoom = size(out) / size(blob)
    assert zoom.min() >= 0.9 * 0.995 and zoom.max() <= 1.1 * 1.01
    assert zoom.min() < 0.91 and zoom.max() > 1.09
    assert zoom.mean() == pytest.approx(1.0, abs=0.005)
    # Ink grows with the area: s².
    np.testing.assert_allclose(moments(out)[0] / moments(blob)[0], zoom**2, rtol=0.02)


# ---------------------------------------------------------------------------------- elastic
def _rho(sigma, lag):
    """Correlation of neighbouring displacements ``lag`` pixels apart: Σk_t k_{t+lag} / Σk²."""
    k = gaussian_kernel(sigma, np.float64)
    return float(np.dot(k[lag:], k[: len(k) - lag]) / np.dot(k, k))


@pytest.mark.parametrize(("alpha", "sigma"), [(34.0, 4.0), (8.0, 2.0), (40.0, 6.0)])
def test_elastic_displacements_have_the_promised_statistics(alpha, sigma):
    d = elastic_displacement(4000, (H, W), np.random.default_rng(5), alpha, sigma, np.float64)
    k = gaussian_kernel(sigma, np.float64)
    std = alpha * np.dot(k, k) / math.sqrt(3)  # α·Σk²/√3: smoothed U(-1, 1) noise
    assert std == pytest.approx(alpha / (sigma * math.sqrt(12 * math.pi)), rel=0.01)
    assert abs(d.mean()) < 0.03 * std
    for axis in (0, 1):  # dy and dx alike, at the border as in the middle
        assert d[:, axis].std() == pytest.approx(std, rel=0.03)
        assert d[:, axis, 0, 0].std() == pytest.approx(std, rel=0.06)
    # Smoothness set by σ: the correlation of displacements 1 and σ pixels apart.
    for lag in (1, int(sigma)):
        across = np.mean(d[..., lag:] * d[..., :-lag]) / d.var()
        down = np.mean(d[:, :, lag:] * d[:, :, :-lag]) / d.var()
        assert across == pytest.approx(_rho(sigma, lag), abs=0.03)
        assert down == pytest.approx(_rho(sigma, lag), abs=0.03)
    # The two components are independent.
    assert abs(np.mean(d[:, 0] * d[:, 1])) < 0.05 * std**2


def test_elastic_displacement_scales_with_alpha():
    a = elastic_displacement(50, (H, W), np.random.default_rng(1), 10.0, 4.0, np.float64)
    b = elastic_displacement(50, (H, W), np.random.default_rng(1), 30.0, 4.0, np.float64)
    np.testing.assert_allclose(b, 3 * a, rtol=1e-9, atol=1e-12)


def test_elastic_distortion_moves_each_pixel_by_its_displacement():
    """A ramp image reads back where each pixel sampled from: out(p) = ramp(p + d(p))."""
    h, w = 20, 24  # not square, to catch a swapped axis
    rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    ramps = np.stack([rows, cols], axis=-1)[None].repeat(64, axis=0).astype(np.float64)
    config = {"elastic": {"alpha": 20, "sigma": 3}}
    out = augment(config, ramps, seed=9, shape=(h, w, 2))
    d = elastic_displacement(64, (h, w), np.random.default_rng(9), 20.0, 3.0, np.float64)
    src_y, src_x = rows + d[:, 0], cols + d[:, 1]
    inside = (src_y >= 0) & (src_y <= h - 1) & (src_x >= 0) & (src_x <= w - 1)
    assert inside.mean() > 0.8
    np.testing.assert_allclose(out[..., 0][inside], src_y[inside], atol=1e-9)
    np.testing.assert_allclose(out[..., 1][inside], src_x[inside], atol=1e-9)


# ---------------------------------------------------------------------------------- all
EVERY = {"shift": 2, "rotate": 10, "scale": 0.1, "elastic": {"alpha": 34, "sigma": 4}}
CONFIGS = [
    {"shift": 2},
    {"rotate": 10},
    {"scale": 0.1},
    {"elastic": {"alpha": 34, "sigma": 4}},
    EVERY,
]


@pytest.mark.parametrize(
    ("config", "per_image", "on_average"),
    [
        ({"shift": 2}, 1e-5, 1e-5),  # exactly, up to float32 summation order
        ({"rotate": 10}, 0.01, 0.005),
        # Locally stretched or squeezed, the same on average.
        ({"elastic": {"alpha": 34, "sigma": 4}}, 0.5, 0.02),
    ],
)
def test_ink_is_preserved(config, per_image, on_average):
    digit = batch(ring())
    ratio = augment(config, digit, seed=6).sum(axis=(1, 2, 3)) / digit[0].sum()
    assert np.abs(ratio - 1).max() < per_image
    assert abs(ratio.mean() - 1) < on_average


@pytest.mark.parametrize("config", CONFIGS)
def test_same_seed_same_output_other_seed_other_output(config):
    x = batch(ring(), n=64)
    a, b, c = augment(config, x, 1), augment(config, x, 1), augment(config, x, 2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a, x)
    assert not np.array_equal(a[0], a[1])  # each image gets its own draw


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("config", [{"shift": 2}, EVERY])
def test_shape_dtype_and_layout_are_kept(config, dtype):
    h, w = 20, 24
    image = np.random.default_rng(0).random((8, h, w, 1)).astype(dtype)
    x = np.concatenate([image, image, image], axis=-1)  # three equal channels
    out = augment(config, x, seed=3, shape=(h, w, 3))
    assert out.shape == x.shape and out.dtype == dtype
    # One geometric transform for all channels of an image.
    np.testing.assert_array_equal(out[..., 0], out[..., 1])
    np.testing.assert_array_equal(out[..., 0], out[..., 2])
    # Rows of the model's flat input are the same images.
    rows = augment(config, x.reshape(8, -1), seed=3, shape=(h, w, 3))
    assert rows.shape == (8, h * w * 3) and rows.dtype == dtype
    np.testing.assert_array_equal(rows, out.reshape(8, -1))
    assert not np.shares_memory(out, x)


def test_flat_rows_of_a_square_image_need_no_declared_shape():
    x = batch(ring(), n=16).reshape(16, -1)
    a = Augmentation.from_config(EVERY)
    np.testing.assert_array_equal(
        a(x, np.random.default_rng(0)), a.for_input((H, W, 1))(x, np.random.default_rng(0))
    )
    with pytest.raises(ValueError, match="not a square image"):
        a(np.zeros((2, 12), np.float32), np.random.default_rng(0))
    with pytest.raises(TypeError, match="floating-point"):
        a(np.zeros((2, 784), np.uint8), np.random.default_rng(0))


def test_labels_stay_with_their_images_through_training():
    """The label of a digit is its ink (10·(label + 1) pixels); every augmented batch that
    reaches backprop still has the ink of its labels (shifts and rotations keep ink)."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, 300).astype(np.uint8)
    x = np.zeros((300, H, W), np.float32)
    for label in range(5):
        x[y == label, 8:18, 9 : 9 + label + 1] = 10.0 / 10  # 10·(label+1) pixels of ink 1
    x = x.reshape(300, -1)
    model = Model.from_sizes([H * W, 8, 5], activation="relu", output_activation="softmax")
    seen = []

    def spy(xb, yb, loss):
        seen.append((xb.reshape(len(xb), -1).sum(axis=1), yb.copy()))
        return type(model).backprop(model, xb, yb, loss)

    model.backprop = spy
    augment = {"shift": 2, "rotate": 10}
    model.fit(x, y, epochs=2, batch_size=32, augment=augment, seed=1, verbose=False)
    assert len(seen) == 2 * 10
    ink = np.concatenate([s[0] for s in seen])
    labels = np.concatenate([s[1] for s in seen])
    assert np.abs(ink / (10 * (labels + 1.0)) - 1).max() < 0.05
    assert sorted(labels) == sorted(np.concatenate([y, y]))


# ---------------------------------------------------------------------------------- config
@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("rotate", r"unknown augmentation 'rotate' for augment; valid: a preset \['shift'\]"),
        (3, "augment must be a preset name"),
        ({"shfit": 2}, r"unknown keys \['shfit'\] in augment; allowed"),
        ({"shift": 1.5}, "augment.shift must be a whole number"),
        ({"shift": -1}, "augment.shift must be a whole number"),
        ({"shift": True}, "augment.shift must be a whole number"),
        ({"rotate": -5}, r"augment.rotate must lie in \[0, 180\], got -5"),
        ({"rotate": "10"}, "augment.rotate must be a number"),
        ({"rotate": float("nan")}, "augment.rotate must be a number"),
        ({"scale": 1}, r"augment.scale must lie in \[0, 1\), got 1"),
        ({"elastic": 34}, "augment.elastic must be a table"),
        ({"elastic": {"beta": 1}}, r"unknown keys \['beta'\] in augment.elastic"),
        ({"elastic": {"alpha": 0}}, "augment.elastic.alpha must be > 0"),
        ({"elastic": {"sigma": 20}}, r"augment.elastic.sigma must lie in \[0, 16\]"),
        ({"elastic": {"sigma": False}}, "augment.elastic.sigma must be a number"),
    ],
)
def test_bad_settings_are_named(config, message):
    with pytest.raises(ValueError, match=message):
        Augmentation.from_config(config)


def test_config_round_trips_and_defaults_to_simard():
    a = Augmentation.from_config(EVERY)
    assert Augmentation.from_config(a.to_config()) == a
    assert Augmentation.from_config({"elastic": {}}).to_config() == {
        "elastic": {"alpha": 34.0, "sigma": 4.0}
    }
    assert Augmentation.from_config({}).to_config() == {}
    with pytest.raises(ValueError, match="shift 28 must be smaller than the 28×28 image"):
        Augmentation(shift=28).for_input((784,))


def test_a_recipe_names_the_file_and_key_of_a_bad_augmentation(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text("[model]\nsizes = [784, 10]\n[train]\naugment = { rotate = 400 }\n")
    with pytest.raises(ValueError, match=r"r.toml: train.augment.rotate must lie in \[0, 180\]"):
        Recipe.from_file(path)
    path.write_text("[model]\nsizes = [784, 10]\n[train]\naugment = { elastic = {} }\n")
    assert Recipe.from_file(path).train["augment"] == {"elastic": {}}


def test_bad_augmentation_in_fit_is_named():
    model = Model.from_sizes([H * W, 4, 2])
    x, y = np.zeros((8, H * W), np.float32), np.zeros(8, np.uint8)
    with pytest.raises(ValueError, match=r"augment\.scale must lie in"):
        model.fit(x, y, epochs=1, augment={"scale": 2}, verbose=False)


# ---------------------------------------------------------------------------------- resume
def _trainer(model, augment, callbacks=()):
    return Trainer(
        model,
        Adam(model.parameters(), lr=0.01),
        "cross_entropy",
        batch_size=25,
        seed=4,
        augment=augment,
        callbacks=list(callbacks),
    )


def _digits():
    rng = np.random.default_rng(3)
    return rng.random((100, H * W), dtype=np.float32), rng.integers(0, 10, 100).astype(np.uint8)


def _net(seed=1):
    return Model.from_sizes([H * W, 16, 10], output_activation="softmax", dropout=0.1, seed=seed)


def test_resume_with_every_augmentation_is_bit_identical(tmp_path):
    x, y = _digits()
    straight = _net()
    _trainer(straight, EVERY).fit(x, y, 4)

    ckpt = tmp_path / "last.npz"
    _trainer(_net(), EVERY, [ModelCheckpoint(ckpt)]).fit(x, y, 2)
    assert read_checkpoint(ckpt).extra["augment"] == Augmentation.from_config(EVERY).to_config()
    resumed = _net(seed=7)
    trainer = _trainer(resumed, EVERY)
    trainer.restore(ckpt)
    trainer.fit(x, y, 4)
    for name, value in straight.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[name], value)
    # Without augmentation the same run ends elsewhere: the augmentation was applied.
    plain = _net()
    _trainer(plain, None).fit(x, y, 4)
    assert not np.array_equal(plain.state_dict()["0.W"], straight.state_dict()["0.W"])


def test_a_checkpoint_refuses_to_resume_with_another_augmentation(tmp_path):
    x, y = _digits()
    ckpt = tmp_path / "last.npz"
    _trainer(_net(), "shift", [ModelCheckpoint(ckpt)]).fit(x, y, 1)
    with pytest.raises(ValueError, match=re.escape("trained with augmentation {'shift': 2}")):
        _trainer(_net(), EVERY).restore(ckpt)
