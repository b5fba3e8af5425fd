"""Data augmentation for images: random shifts, rotations, scalings and elastic distortions.

Each training batch is replaced by a freshly distorted copy (labels are never touched), drawn
from the trainer's data generator, so a run is reproducible from its seed and a resumed run
replays the same distortions (the generator's state is in the checkpoint; so is the
augmentation's configuration, and a checkpoint refuses to resume with another one).

In a recipe, ``[train] augment`` is either the name of a preset or a table::

    augment = "shift"                        # preset: the same as { shift = 2 }
    augment = { shift = 2, rotate = 10, scale = 0.1, elastic = { alpha = 34, sigma = 4 } }

=========  ===================================================================  ===========
key        what each image gets (drawn independently per image)                 allowed
=========  ===================================================================  ===========
shift      a translation by whole pixels ``dy, dx ~ U{-shift..shift}``,         integer
           uncovered pixels filled with the background 0                        0 ≤ n < H, W
rotate     a rotation by ``θ ~ U(-rotate, rotate)`` degrees about the centre,   0 ≤ r ≤ 180
           positive = clockwise on screen (rows point down)
scale      a zoom by ``s ~ U(1 - scale, 1 + scale)`` about the centre           0 ≤ s < 1
           (s > 1 enlarges the digit)
elastic    Simard et al. (2003): a displacement field ``α · (G_σ * U(-1, 1))``  alpha > 0,
           per pixel and axis (uniform noise smoothed by a normalised Gaussian  0 < sigma ≤ 16
           of ``sigma`` pixels, scaled by ``alpha``); each component has mean 0
           and std ``α·Σk²/√3 ≈ α / (σ·√(12π))``, about 1.4 px for
           ``alpha = 34, sigma = 4`` (Simard's values). ``elastic = {}`` means those.
           Drawn as the Gaussian field with that mean and covariance
           (``elastic_displacement``), from ~11² numbers instead of (H + 8σ)².
=========  ===================================================================  ===========

Missing keys (and ``0``) switch that distortion off; ``{}`` is no augmentation. Rotation,
scaling and the elastic field are one resampling of the image (bilinear, background 0 outside),
followed by the integer shift, which moves pixels exactly. Random draws happen in the order
angle, scale, elastic noise, shift, so ``{ shift = 2 }`` draws exactly what ``"shift"`` did.

Images are the model's input: ``(B, H, W, C)`` batches, or ``(B, H·W·C)`` rows of an image
whose shape comes from the model's input contract (a flat input of ``n`` features is read as a
``√n × √n`` single-channel image, e.g. 784 → 28×28×1). Everything is vectorised over the batch.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from barenet.errors import BarenetError

PRESETS: dict[str, dict[str, Any]] = {"shift": {"shift": 2}}
"""Names accepted in place of a table (``augment = "shift"``)."""

KEYS = ("shift", "rotate", "scale", "elastic")
ELASTIC_KEYS = ("alpha", "sigma")
SIMARD = {"alpha": 34.0, "sigma": 4.0}
"""Simard et al.'s elastic parameters for MNIST, the defaults of ``elastic = {}``."""
CHUNK = 32
"""Images resampled at a time (their temporaries stay in the CPU cache)."""
MAX_SIGMA = 16.0
"""A larger σ makes the field a near-constant translation over a digit (use ``shift``)."""


# ---------------------------------------------------------------------------------- kernels
def shift_images(images: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """Image ``i`` of ``images`` (B, H, W, C) moved down by ``dy[i]`` and right by ``dx[i]``
    whole pixels; pixels moved in from outside are 0. Returns a new array."""
    n, h, w, _ = images.shape
    m = int(max(np.abs(dy).max(initial=0), np.abs(dx).max(initial=0)))
    padded = np.zeros((n, h + 2 * m, w + 2 * m, images.shape[3]), dtype=images.dtype)
    padded[:, m : m + h, m : m + w] = images
    out = np.empty_like(images)
    # Group the batch by shift: at most (2m+1)² block copies, no per-image loop (faster than
    # one gather of every pixel).
    for sy in range(-m, m + 1):
        for sx in range(-m, m + 1):
            idx = np.flatnonzero((dy == sy) & (dx == sx))
            if idx.size:
                out[idx] = padded[idx, m - sy : m - sy + h, m - sx : m - sx + w]
    return out


def affine_coordinates(
    shape: tuple[int, int], angles: np.ndarray, scales: np.ndarray, dtype: Any = np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """Where each output pixel samples its source, for images rotated by ``angles`` (degrees,
    clockwise on screen: the usual rotation matrix in (x, y) coordinates whose y axis points
    down, as rows do) and zoomed by ``scales`` about the centre ``c``.

    Output pixel ``p = (row, col)`` reads ``c + R(θ)ᵀ (p − c) / s`` with rows pointing down,
    i.e. ``y_src = c_y + (cosθ·y − sinθ·x) / s``, ``x_src = c_x + (sinθ·y + cosθ·x) / s`` for
    ``(y, x) = p − c``. Returns ``(y_src, x_src)``, each (B, H, W).
    """
    h, w = shape
    y = np.arange(h, dtype=dtype)[:, None] - (h - 1) / 2
    x = np.arange(w, dtype=dtype)[None, :] - (w - 1) / 2
    theta = np.deg2rad(np.asarray(angles, dtype=dtype))
    cos = (np.cos(theta) / scales).astype(dtype)[:, None, None]
    sin = (np.sin(theta) / scales).astype(dtype)[:, None, None]
    return (h - 1) / 2 + cos * y - sin * x, (w - 1) / 2 + sin * y + cos * x


def gaussian_kernel(sigma: float, dtype: Any = np.float32) -> np.ndarray:
    """The 1-D Gaussian ``k[t] ∝ exp(−t²/2σ²)``, ``t = −r..r`` with ``r = ⌈4σ⌉``, summing to 1."""
    r = math.ceil(4 * sigma)
    t = np.arange(-r, r + 1, dtype=np.float64)
    k = np.exp(-(t**2) / (2 * sigma**2))
    return (k / k.sum()).astype(dtype)


def smoothing_matrix(n: int, sigma: float) -> np.ndarray:
    """The (n, n + 2r) matrix ``A`` of a 'valid' Gaussian smoothing along one axis:
    ``(A v)[j] = Σ_t k[t]·v[j + t]`` with ``k = gaussian_kernel(sigma)``, ``r = ⌈4σ⌉``. Every
    output averages the same number of inputs, so smoothed white noise is stationary up to
    the border (float64)."""
    k = gaussian_kernel(sigma, np.float64)
    a = np.zeros((n, n + len(k) - 1))
    for j in range(n):
        a[j, j : j + len(k)] = k
    return a


@functools.lru_cache(maxsize=16)
def _noise_factor(n: int, sigma: float) -> np.ndarray:
    """``U`` (n, q) with ``U Uᵀ = A Aᵀ`` (``A = smoothing_matrix(n, sigma)``), from the
    eigen-decomposition of ``A Aᵀ`` without the modes below 10⁻⁶ of the largest (they carry
    less than a millionth of the variance: smoothing removes high frequencies). q is about
    11 for 28 pixels and σ = 4."""
    a = smoothing_matrix(n, sigma)
    lam, vec = np.linalg.eigh(a @ a.T)
    keep = lam > 1e-6 * lam[-1]
    factor = vec[:, keep] * np.sqrt(lam[keep])
    factor.flags.writeable = False
    return factor


def elastic_displacement(
    n: int,
    shape: tuple[int, int],
    rng: np.random.Generator,
    alpha: float,
    sigma: float,
    dtype: Any = np.float32,
) -> np.ndarray:
    """``n`` random displacement fields (n, 2, H, W), distributed as Simard et al.'s
    ``α · (G_σ * u)``: noise ``u ~ U(-1, 1)`` per pixel and axis, smoothed by the normalised
    Gaussian ``G_σ = k ⊗ k`` (``k = gaussian_kernel(sigma)``), scaled by ``α``.

    Smoothing noise drawn on a grid padded by ``r = ⌈4σ⌉`` is ``F = α·A_H u A_Wᵀ``
    (``smoothing_matrix``): a sum of hundreds of independent terms per pixel, i.e. a Gaussian
    random field with mean 0 and covariance ``α²/3 · (A_H A_Hᵀ) ⊗ (A_W A_Wᵀ)`` (uniform noise
    has variance 1/3). The same field is drawn here as ``α/√3 · U_H z U_Wᵀ`` with
    ``U Uᵀ = A Aᵀ`` (``_noise_factor``) and ``z ~ N(0, 1)`` of shape (q_H, q_W): the same mean
    and covariance from about 11×11 random numbers per field instead of (H + 8σ)². Each
    component has std ``α·Σ_t k[t]²/√3`` everywhere, the border included.
    """
    h, w = shape
    uh = _noise_factor(h, float(sigma)).astype(dtype)
    uw = _noise_factor(w, float(sigma)).astype(dtype) * np.asarray(alpha / math.sqrt(3), dtype)
    qh, qw = uh.shape[1], uw.shape[1]
    z = rng.standard_normal((n * 2 * qh, qw), dtype=dtype)
    rows = (z @ uw.T).reshape(n * 2, qh, w).transpose(0, 2, 1).reshape(-1, qh)  # (n·2·w, qh)
    return (rows @ uh.T).reshape(n, 2, w, h).transpose(0, 1, 3, 2)


def sample_bilinear(images: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``images`` (B, H, W, C) read at real coordinates ``(y, x)`` (each (B, H', W')) by
    bilinear interpolation, 0 outside the image: with ``y₀ = ⌊y⌋, f_y = y − y₀`` (same for x),
    ``top = (1−f_x)·I[y₀,x₀] + f_x·I[y₀,x₀+1]``, ``bottom`` the same on row ``y₀+1`` and
    ``out = (1−f_y)·top + f_y·bottom``. Returns (B, H', W', C) in the images' dtype."""
    n, h, w, c = images.shape
    padded = np.zeros((n, h + 2, w + 2, c), dtype=images.dtype)
    padded[:, 1:-1, 1:-1] = images
    flat = padded.reshape(-1)
    # In padded coordinates (+1), clipped to the zero border: a coordinate beyond it reads
    # only zeros, as one on it does; non-negative, so truncation is the floor.
    y = np.minimum(np.maximum(y + 1, 0), h + 1)
    x = np.minimum(np.maximum(x + 1, 0), w + 1)
    index = np.int32 if flat.size < 2**31 else np.intp
    y0 = np.minimum(y.astype(index), h)
    x0 = np.minimum(x.astype(index), w)
    y -= y0  # now the fractions f_y, f_x
    x -= x0
    fy, fx = y[..., None], x[..., None]
    corner = y0
    corner += (np.arange(n, dtype=index) * (h + 2))[:, None, None]
    corner *= w + 2
    corner += x0
    idx = corner[..., None] * c + np.arange(c, dtype=index)  # flat index of I[y₀, x₀]
    step_x, step_y = c, (w + 2) * c
    top = flat.take(idx)
    top += fx * (flat.take(idx + step_x) - top)
    bottom = flat.take(idx + step_y)
    bottom += fx * (flat.take(idx + step_y + step_x) - bottom)
    top += fy * (bottom - top)
    return top


# ---------------------------------------------------------------------------------- config
def _number(value: Any, key: str, low: float, high: float, *, open_high: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BarenetError(f"{key} must be a number, got {value!r}")
    if not low <= value <= high or (open_high and value == high):
        bound = f"[{low:g}, {high:g}{')' if open_high else ']'}"
        raise BarenetError(f"{key} must lie in {bound}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Elastic:
    """Simard et al.'s elastic distortion: displacement ``alpha · (G_sigma * U(-1, 1))``."""

    alpha: float = SIMARD["alpha"]
    sigma: float = SIMARD["sigma"]


@dataclass(frozen=True)
class Augmentation:
    """A random distortion of image batches: ``augmentation(x, rng)`` → distorted copy of ``x``.

    Build it from a recipe value with ``Augmentation.from_config`` (the module docstring lists
    the keys); ``image_shape`` (H, W, C) says how to read flat rows, and is set from the
    model's input by ``for_input``.
    """

    shift: int = 0
    rotate: float = 0.0
    scale: float = 0.0
    elastic: Elastic | None = None
    image_shape: tuple[int, int, int] | None = field(default=None, compare=False)

    @classmethod
    def from_config(
        cls, value: str | Mapping[str, Any] | Augmentation, key: str = "augment"
    ) -> Augmentation:
        """A preset name (``"shift"``) or a table ``{shift, rotate, scale, elastic}``; every bad
        key or value raises ``ValueError`` naming ``key`` (e.g. ``augment.elastic.sigma``)."""
        if isinstance(value, Augmentation):
            return value
        if isinstance(value, str):
            if value not in PRESETS:
                raise BarenetError(
                    f"unknown augmentation {value!r} for {key}; valid: a preset "
                    f"{sorted(PRESETS)} or a table with keys {list(KEYS)}"
                )
            value = PRESETS[value]
        if not isinstance(value, Mapping):
            raise BarenetError(
                f"{key} must be a preset name {sorted(PRESETS)} or a table with keys "
                f"{list(KEYS)}, got {value!r}"
            )
        unknown = sorted(set(value) - set(KEYS))
        if unknown:
            raise BarenetError(f"unknown keys {unknown} in {key}; allowed: {list(KEYS)}")
        shift = value.get("shift", 0)
        if isinstance(shift, bool) or not isinstance(shift, int) or shift < 0:
            raise BarenetError(f"{key}.shift must be a whole number of pixels ≥ 0, got {shift!r}")
        elastic = value.get("elastic")
        if elastic is not None:
            if not isinstance(elastic, Mapping):
                raise BarenetError(
                    f"{key}.elastic must be a table {{alpha = .., sigma = ..}}, got {elastic!r}"
                )
            bad = sorted(set(elastic) - set(ELASTIC_KEYS))
            if bad:
                raise BarenetError(
                    f"unknown keys {bad} in {key}.elastic; allowed: {list(ELASTIC_KEYS)}"
                )
            alpha = _number(elastic.get("alpha", SIMARD["alpha"]), f"{key}.elastic.alpha", 0, 1e3)
            sigma = _number(
                elastic.get("sigma", SIMARD["sigma"]), f"{key}.elastic.sigma", 0, MAX_SIGMA
            )
            if alpha == 0 or sigma == 0:
                name = "alpha" if alpha == 0 else "sigma"
                raise BarenetError(f"{key}.elastic.{name} must be > 0 (leave out elastic for none)")
            elastic = Elastic(alpha, sigma)
        return cls(
            shift=shift,
            rotate=_number(value.get("rotate", 0), f"{key}.rotate", 0, 180),
            scale=_number(value.get("scale", 0), f"{key}.scale", 0, 1, open_high=True),
            elastic=elastic,
        )

    def to_config(self) -> dict[str, Any]:
        """The table that ``from_config`` turns back into this augmentation (plain JSON/TOML
        values; switched-off distortions left out)."""
        config: dict[str, Any] = {}
        if self.shift:
            config["shift"] = self.shift
        if self.rotate:
            config["rotate"] = self.rotate
        if self.scale:
            config["scale"] = self.scale
        if self.elastic is not None:
            config["elastic"] = {"alpha": self.elastic.alpha, "sigma": self.elastic.sigma}
        return config

    def for_input(self, input_shape: Sequence[int]) -> Augmentation:
        """This augmentation reading flat rows as images of the model's input: ``input_shape``
        is ``(H, W, C)``, ``(H, W)`` or ``(n,)`` (a square single-channel image of n pixels)."""
        shape = tuple(int(d) for d in input_shape)
        if len(shape) == 1:
            side = math.isqrt(shape[0])
            if side * side != shape[0]:
                raise BarenetError(
                    f"augmentation needs images: an input of {shape[0]} features is not a "
                    "square image; give the model an image input shape (H, W, C)"
                )
            shape = (side, side, 1)
        elif len(shape) == 2:
            shape = (*shape, 1)
        if len(shape) != 3 or min(shape) <= 0:
            raise BarenetError(f"augmentation needs an image shape (H, W, C), got {input_shape!r}")
        if self.shift >= min(shape[:2]):
            raise BarenetError(
                f"augment.shift {self.shift} must be smaller than the {shape[0]}×{shape[1]} image"
            )
        return replace(self, image_shape=shape)  # type: ignore[arg-type]

    @property
    def warps(self) -> bool:
        """Whether images are resampled (rotation, scaling or elastic), not only shifted."""
        return bool(self.rotate or self.scale or self.elastic)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A distorted copy of the batch ``x``: (B, H, W, C) images or (B, H·W·C) rows, same
        shape and (floating) dtype. Labels are not involved."""
        if not np.issubdtype(x.dtype, np.floating):
            raise TypeError(f"augmentation needs floating-point images, got {x.dtype}")
        if x.ndim == 4:
            images = x
        elif x.ndim == 2:
            shape = self.image_shape or self.for_input((x.shape[1],)).image_shape
            assert shape is not None
            if math.prod(shape) != x.shape[1]:
                raise BarenetError(f"rows of {x.shape[1]} values are not images of shape {shape}")
            images = x.reshape(len(x), *shape)
        else:
            raise BarenetError(f"augmentation takes (B, H, W, C) or (B, features), got {x.shape}")
        n, h, w, _ = images.shape
        # Every random number first, in a fixed order (angle, scale, elastic noise, shift)...
        angles = rng.uniform(-self.rotate, self.rotate, n) if self.rotate else np.zeros(n)
        scales = rng.uniform(1 - self.scale, 1 + self.scale, n) if self.scale else np.ones(n)
        field = None
        if self.elastic is not None:
            field = elastic_displacement(
                n, (h, w), rng, self.elastic.alpha, self.elastic.sigma, x.dtype
            )
        m = self.shift
        dy = rng.integers(-m, m + 1, size=n) if m else None
        dx = rng.integers(-m, m + 1, size=n) if m else None
        # ...then the pixels: resampled CHUNK images at a time, so that the temporaries of a
        # chunk stay in the CPU cache (whole batches were several times slower on a busy
        # machine), then shifted as a whole batch.
        if self.warps:
            out = np.empty_like(images)
            for start in range(0, n, CHUNK):
                part = slice(start, start + CHUNK)
                y, xs = affine_coordinates((h, w), angles[part], scales[part], x.dtype)
                if field is not None:
                    y += field[part, 0]
                    xs += field[part, 1]
                out[part] = sample_bilinear(images[part], y, xs)
            images = out
        if dy is not None and dx is not None:
            images = shift_images(images, dy, dx)
        elif not self.warps:
            images = images.copy()
        return images.reshape(x.shape)
