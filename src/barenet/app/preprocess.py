"""Turn a photo or a drawing of one digit into the 28×28 image an MNIST network expects.

MNIST was made like this (LeCun, Cortes and Burges): each NIST digit was size-normalised to
fit a 20×20 box keeping its aspect ratio, anti-aliased to grey levels, and placed in a 28×28
frame so that its centre of mass is at the centre; the digit is white (1.0) on black (0.0).
A photo of a digit on paper differs in every respect: dark on light, unevenly lit, noisy, any
size, anywhere in the picture. ``preprocess_image`` closes that gap, one step per function:

1. ``_read``: decode (any Pillow format; EXIF rotation applied; transparency flattened onto
   the colour the ink is not), grey levels in [0, 1], shrunk so the longest side is at most
   1024 px;
2. ``_ink``: the background is the bulk of the pixels (the median) and the ink pulls the
   mean to its side: a light background is inverted, making the ink bright;
3. ``_flatten_lighting``: subtract a smooth background surface (the 10th percentile of each
   block of a 6×6 grid, median-filtered), so a shadow across the paper is not ink;
4. ``_normalise``: map the background noise level (99th percentile of the background pixels)
   to 0 and the typical ink level (median of the ink pixels) to 1; Otsu's threshold splits
   background from ink;
5. ``_keep_digit``: keep the connected blobs that make up the digit: drop specks (< 5 % of the
   largest blob) and, when the digit is clear of the edges, anything touching the edge (a
   table, the paper's border);
6. ``_thicken``: strokes thinner than MNIST's (a fine pen on a large photo) are widened, so
   that after scaling they are still about 2 of the 20 pixels wide;
7. ``_frame``: crop to the ink's bounding box, scale its longest side to 20 px with Lanczos
   anti-aliasing, and paste it into 28×28 so that its centre of mass is at pixel (14, 14):
   where MNIST has it (the mean centre of mass of the MNIST test digits, in pixel-index
   coordinates, is (13.99, 14.01); half a pixel off costs a point of accuracy).
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from barenet._files import existing_file
from barenet.errors import BarenetError

if TYPE_CHECKING:
    from barenet.train import Model

MAX_PIXELS = 50_000_000
"""Largest image accepted (width × height), against decompression bombs: a 1 MB PNG can
decode to gigabytes. 50 megapixels holds any phone photo (8,660 × 5,773)."""

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
"""The file types `barenet predict` picks up from a folder."""

FRAME = 28
BOX = 20

_WORK_SIDE = 1024
_MIN_CONTRAST = 0.1  # ink must differ from the background by 10 % of the grey range
_GRID = 6
_SPECK = 0.05
_COARSE_SIDE = 128
# Strokes narrower than this fraction of the digit's longest side are widened to it (MNIST's
# median is 0.14 by the same estimate, so MNIST-like digits are left alone).
_STROKE = 0.1

ImageSource = str | os.PathLike[str] | bytes | Image.Image | np.ndarray


class ImageError(BarenetError):
    """An image that cannot be turned into a digit: unreadable, too large or blank."""


class ImageTooLargeError(ImageError):
    """More pixels than the limit (``MAX_PIXELS`` by default)."""


class BlankImageError(ImageError):
    """No ink found: the image is empty, uniform, or noise without a digit."""


def preprocess_image(image: ImageSource, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """The MNIST-style 28×28 input for one image of one digit.

    ``image`` is a file path, the bytes of an image file, a ``PIL.Image.Image``, or a 2-D
    array of grey levels (uint8 0–255, or floats in [0, 1]); dark-on-light and light-on-dark
    both work. Returns float32 of shape (28, 28) in [0, 1], white digit on black; the network
    input is ``preprocess_image(path).reshape(1, 784)``.

    Raises ``FileNotFoundError`` for a missing file, ``ImageTooLargeError`` above
    ``max_pixels``, ``BlankImageError`` when no ink is found and ``ImageError`` for anything
    Pillow cannot decode; every message names the file.
    """
    name = _name(image)
    grey = _read(image, name, max_pixels)
    ink = _flatten_lighting(_ink(grey, name))
    digit = _thicken(_keep_digit(_normalise(ink, name)))
    return _frame(digit)


def _name(image: ImageSource) -> str:
    if isinstance(image, str | os.PathLike):
        return str(image)
    if isinstance(image, Image.Image) and getattr(image, "filename", ""):
        return str(image.filename)
    return "the image data" if isinstance(image, bytes) else "the image"


# ---------------------------------------------------------------- 1. decode to grey


def _read(image: ImageSource, name: str, max_pixels: int) -> np.ndarray:
    """Grey levels in [0, 1], shape (H, W) with max(H, W) ≤ 1024, float64."""
    if isinstance(image, np.ndarray):
        return _shrink(_array_grey(image, name))
    if isinstance(image, Image.Image):
        _check_size(image, name, max_pixels)
        return _pil_grey(image)
    if isinstance(image, bytes):
        source: Path | io.BytesIO = io.BytesIO(image)
    elif isinstance(image, str | os.PathLike):
        source = existing_file(image, "image")
    else:
        raise TypeError(
            f"image must be a path, bytes, a PIL image or a 2-D array, got {type(image).__name__}"
        )
    with warnings.catch_warnings():
        # Pillow warns above its own limit; ours is lower and says so in one clear error.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            opened = Image.open(source)
        except Image.DecompressionBombError:
            raise ImageTooLargeError(
                f"{name} is too large to decode safely (limit {max_pixels:,} pixels)"
            ) from None
        except UnidentifiedImageError:
            raise ImageError(
                f"{name} is not an image Pillow can read (PNG, JPEG, BMP, GIF or WebP)"
            ) from None
    with opened:
        _check_size(opened, name, max_pixels)
        try:
            # JPEG can decode at 1/2, 1/4 or 1/8 scale: a 12 MP photo decodes quickly.
            opened.draft(opened.mode, (_WORK_SIDE, _WORK_SIDE))
            return _pil_grey(opened)
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ImageError(f"{name} cannot be decoded (corrupt or truncated: {exc})") from None


def _check_size(image: Image.Image, name: str, max_pixels: int) -> None:
    w, h = image.size
    if w * h > max_pixels:
        raise ImageTooLargeError(
            f"{name} is {w}×{h} = {w * h:,} pixels, more than the limit of {max_pixels:,}"
        )
    if w == 0 or h == 0:
        raise BlankImageError(f"{name} is empty ({w}×{h} pixels)")


def _array_grey(image: np.ndarray, name: str) -> np.ndarray:
    if image.ndim != 2 or image.size == 0:
        raise ValueError(f"{name}: an array must be 2-D grey levels, got shape {image.shape}")
    if image.dtype == np.uint8:
        return image.astype(np.float64) / 255.0
    if image.dtype.kind not in "fb":
        raise TypeError(f"{name}: an array must be uint8 or float in [0, 1], got {image.dtype}")
    grey = image.astype(np.float64)
    if not np.all(np.isfinite(grey)) or grey.min() < 0.0 or grey.max() > 1.0:
        raise ValueError(f"{name}: float grey levels must be finite and in [0, 1]")
    return grey


def _pil_grey(image: Image.Image) -> np.ndarray:
    """Grey in [0, 1], shrunk. Transparency is flattened onto the colour the ink is not: a
    black drawing on a transparent canvas lands on white, a white one on black."""
    image = ImageOps.exif_transpose(image) or image
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        # 16- and 32-bit grey: Pillow's convert("L") would clip, so stretch the range instead.
        raw = np.asarray(image, dtype=np.float64)
        span = raw.max() - raw.min()
        return _shrink((raw - raw.min()) / span if span > 0 else np.zeros_like(raw))
    la = image.convert("LA") if image.mode in ("1", "L", "LA") else image.convert("RGBA")
    la = la.convert("LA")
    size = _work_size(*la.size)
    if size is not None:  # shrink before going to float: a 12 MP photo stays cheap
        la = la.resize(size, Image.Resampling.BOX)
    grey_alpha = np.asarray(la, dtype=np.float64) / 255.0
    grey, alpha = grey_alpha[..., 0], grey_alpha[..., 1]
    if alpha.min() == 1.0:
        return grey
    weight = alpha.sum()
    ink_level = float((grey * alpha).sum() / weight) if weight > 0 else 0.0
    behind = 1.0 if ink_level < 0.5 else 0.0
    return alpha * grey + (1.0 - alpha) * behind


def _work_size(width: int, height: int) -> tuple[int, int] | None:
    """(width, height) scaled so the longest side is 1024 px, or None when already smaller."""
    scale = _WORK_SIDE / max(width, height)
    if scale >= 1.0:
        return None
    return max(1, round(width * scale)), max(1, round(height * scale))


def _shrink(grey: np.ndarray) -> np.ndarray:
    size = _work_size(grey.shape[1], grey.shape[0])
    return grey if size is None else _resize(grey, size, Image.Resampling.BOX)


def _resize(a: np.ndarray, size: tuple[int, int], how: Image.Resampling) -> np.ndarray:
    """Resize a float array to ``size`` = (width, height) with Pillow's 32-bit float mode."""
    out = Image.fromarray(a.astype(np.float32)).resize(size, how)
    return np.asarray(out, dtype=np.float64)


# ---------------------------------------------------------------- 2–4. ink, light, contrast


def _ink(grey: np.ndarray, name: str) -> np.ndarray:
    """Bright ink on a dark background. The background is the bulk of the pixels (the
    median); the ink, a minority, pulls the mean towards its side: a mean below the median
    means dark ink on a light background, which is inverted."""
    if np.ptp(grey) < _MIN_CONTRAST:
        raise BlankImageError(f"{name} is blank: no ink found (the image is nearly uniform)")
    return 1.0 - grey if grey.mean() < np.median(grey) else grey


def _otsu(x: np.ndarray) -> float:
    """Otsu's threshold: the grey level that maximises the between-class variance
    w₀w₁(μ₀ − μ₁)² of the two classes it splits ``x`` into (256-bin histogram)."""
    lo, hi = float(x.min()), float(x.max())
    if hi <= lo:
        return hi
    counts, edges = np.histogram(x, bins=256, range=(lo, hi))
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(counts)
    w1 = w0[-1] - w0
    m0 = np.cumsum(counts * centres)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = w0 * w1 * (m0 / w0 - (m0[-1] - m0) / w1) ** 2
    return float(edges[1:][np.nanargmax(between[:-1])])


def _flatten_lighting(ink: np.ndarray) -> np.ndarray:
    """``ink`` minus a smooth background surface, clipped at 0.

    Each block of a 6×6 grid estimates its background as its 10th percentile (right unless
    ink covers 90 % of the block); a 3×3 median over the grid then replaces the
    estimate of a block buried in a thick stroke by its neighbours'. The surface interpolates
    the grid bilinearly. A clean image has a flat surface and is left as it is.
    """
    h, w = ink.shape
    grid = np.empty((min(_GRID, h), min(_GRID, w)))
    for i, rows in enumerate(np.array_split(np.arange(h), grid.shape[0])):
        for j, cols in enumerate(np.array_split(np.arange(w), grid.shape[1])):
            grid[i, j] = np.percentile(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], 10)
    padded = np.pad(grid, 1, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3))
    grid = np.median(windows, axis=(2, 3))
    surface = _resize(grid, (w, h), Image.Resampling.BILINEAR)
    return np.clip(ink - surface, 0.0, None)


def _normalise(ink: np.ndarray, name: str) -> np.ndarray:
    """(x − noise) / (ink − noise), clipped to [0, 1]: the background noise level (99th
    percentile below Otsu's threshold) becomes 0, the median ink level becomes 1."""
    threshold = _otsu(ink)
    below, above = ink[ink <= threshold], ink[ink > threshold]
    noise = float(np.percentile(below, 99)) if below.size else 0.0
    level = float(np.median(above)) if above.size else 0.0
    if level - noise < _MIN_CONTRAST:
        raise BlankImageError(f"{name} is blank: no ink stands out from the background")
    return np.clip((ink - noise) / (level - noise), 0.0, 1.0)


# ---------------------------------------------------------------- 5. the digit's blobs


def _label(mask: np.ndarray) -> np.ndarray:
    """8-connected components: each pixel of ``mask`` gets the largest flat index + 1 in its
    component, every other pixel 0 (repeated 3×3 max until nothing changes)."""
    h, w = mask.shape
    labels = np.where(mask, np.arange(1, h * w + 1).reshape(h, w), 0)
    while True:
        padded = np.pad(labels, 1)
        grown = labels.copy()
        for dy in range(3):
            for dx in range(3):
                np.maximum(grown, padded[dy : dy + h, dx : dx + w], out=grown)
        grown *= mask
        if np.array_equal(grown, labels):
            return labels
        labels = grown


def _keep_digit(y: np.ndarray) -> np.ndarray:
    """``y`` with everything but the digit's blobs set to 0.

    Blobs are found on the ink (y > 0.5) max-pooled to at most 128 px a side. When a blob clear
    of the image's edges spans at least 1/8 of the image, it is the digit, and blobs touching
    the edge are dropped unless they come within a quarter of its size of it: a table or the
    paper's border lies away from the digit, a stroke of the digit that runs off the edge does
    not. Then blobs under 5 % of the largest one's area are dropped as specks.
    """
    h, w = y.shape
    f = max(1, -(-max(h, w) // _COARSE_SIDE))
    ink = np.pad(y > 0.5, ((0, -h % f), (0, -w % f)))
    coarse = ink.reshape(ink.shape[0] // f, f, ink.shape[1] // f, f).any(axis=(1, 3))
    ids, flat = np.unique(_label(coarse), return_inverse=True)
    flat = flat.reshape(coarse.shape)
    n = len(ids)
    area = np.bincount(flat.ravel(), minlength=n).astype(np.float64)
    box = np.empty((4, n))  # top, left, bottom, right of each blob (0 is the background)
    for k, axis in enumerate(np.indices(flat.shape)):
        box[k], box[k + 2] = np.inf, -np.inf
        np.minimum.at(box[k], flat.ravel(), axis.ravel())
        np.maximum.at(box[k + 2], flat.ravel(), axis.ravel())
    extent = np.maximum(box[2] - box[0], box[3] - box[1]) + 1
    edge = np.zeros(n, bool)
    edge[np.concatenate([flat[0], flat[-1], flat[:, 0], flat[:, -1]])] = True
    keep = np.arange(n) > 0
    inner = keep & ~edge
    if np.any(extent[inner] >= min(coarse.shape) / 8):
        digit = int(np.argmax(np.where(inner, area, -1.0)))
        margin = extent[digit] / 4
        top, left = box[:2, digit] - margin
        bottom, right = box[2:, digit] + margin
        near = (box[0] <= bottom) & (box[2] >= top) & (box[1] <= right) & (box[3] >= left)
        keep &= ~edge | near
    keep &= area >= _SPECK * area[keep].max()
    region = keep[flat]
    # Grow by one coarse cell so the soft edges of the strokes stay, then back to full size.
    grown = np.pad(region, 1)
    region = np.zeros_like(region)
    for dy in range(3):
        for dx in range(3):
            region |= grown[dy : dy + coarse.shape[0], dx : dx + coarse.shape[1]]
    full = np.repeat(np.repeat(region, f, axis=0), f, axis=1)[:h, :w]
    return y * full


# ---------------------------------------------------------------- 6–7. strokes and frame


def _bbox(y: np.ndarray, level: float = 0.1) -> tuple[slice, slice]:
    rows = np.flatnonzero(y.max(axis=1) > level)
    cols = np.flatnonzero(y.max(axis=0) > level)
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def _max_filter(y: np.ndarray, size: int) -> np.ndarray:
    """Grey dilation by a size×size square, separably (size odd)."""
    r = size // 2
    out = y
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (r, r)
        windows = np.lib.stride_tricks.sliding_window_view(np.pad(out, pad), size, axis=axis)
        out = windows.max(axis=-1)
    return out


def _thicken(y: np.ndarray) -> np.ndarray:
    """Widen strokes thinner than 1/10 of the digit's longest side (a fine pen on a large
    photo) to that width, which is 2 px once the digit is scaled to 20 px.

    The stroke width is estimated as 2·area / boundary length of the ink (y > 0.5): a
    stroke of width s and length ℓ has area sℓ and a boundary about 2ℓ long.
    """
    rows, cols = _bbox(y)
    crop = y[rows, cols]
    ink = np.pad(crop > 0.5, 1)
    interior = ink.copy()
    interior[1:] &= ink[:-1]
    interior[:-1] &= ink[1:]
    interior[:, 1:] &= ink[:, :-1]
    interior[:, :-1] &= ink[:, 1:]
    boundary = int(ink.sum() - interior.sum())
    if boundary == 0:
        return crop
    width = 2.0 * ink.sum() / boundary
    grow = round((_STROKE * max(crop.shape) - width) / 2)
    if grow < 1:
        return crop
    return _max_filter(np.pad(crop, grow), 2 * grow + 1)


def _frame(y: np.ndarray) -> np.ndarray:
    """Crop to the ink, scale the longest side to 20 px, move the centre of mass to pixel
    (14, 14) of the 28×28 frame (by whole pixels, as MNIST did; kept inside the frame)."""
    rows, cols = _bbox(y)
    crop = y[rows, cols]
    h, w = crop.shape
    size = (max(1, round(w * BOX / max(h, w))), max(1, round(h * BOX / max(h, w))))
    small = np.clip(_resize(crop, size, Image.Resampling.LANCZOS), 0.0, 1.0)
    small /= small.max()
    mass = small.sum()
    cy = float((small.sum(axis=1) * np.arange(small.shape[0])).sum() / mass)
    cx = float((small.sum(axis=0) * np.arange(small.shape[1])).sum() / mass)
    centre = FRAME / 2
    top = min(max(round(centre - cy), 0), FRAME - small.shape[0])
    left = min(max(round(centre - cx), 0), FRAME - small.shape[1])
    out = np.zeros((FRAME, FRAME), np.float32)
    out[top : top + small.shape[0], left : left + small.shape[1]] = small
    return out


# ---------------------------------------------------------------- the model that reads it


def load_digit_model(path: str | os.PathLike[str]) -> Model:
    """Load a barenet model file and check that it reads these 28×28 = 784-pixel inputs."""
    from barenet.train import load

    model = load(path)
    if model.in_features != FRAME * FRAME:
        raise BarenetError(
            f"model {path} takes {model.in_features} inputs, not the {FRAME}×{FRAME} = "
            f"{FRAME * FRAME} pixels of an MNIST image"
        )
    return model


def class_names(model: Model) -> list[str]:
    """The model's class names (from its metadata), or "0", "1", ... when it has none."""
    names = model.metadata.get("class_names")
    if isinstance(names, list) and len(names) == model.out_features:
        return [str(n) for n in names]
    return [str(i) for i in range(model.out_features)]
