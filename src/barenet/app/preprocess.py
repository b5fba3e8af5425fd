"""Turn a photo or a drawing of one digit into the 28×28 image an MNIST network expects.

MNIST was made like this (LeCun, Cortes and Burges): each NIST digit was size-normalised to
fit a 20×20 box keeping its aspect ratio, anti-aliased to grey levels, and placed in a 28×28
frame so that its centre of mass is at the centre; the digit is white (1.0) on black (0.0).
A photo of a digit on paper differs in every respect: dark on light, unevenly lit, noisy, any
size, anywhere in the picture. ``preprocess_image`` closes that gap, one step per function:

1. ``_read``: decode (any Pillow format; a JPEG at the smallest draft scale that keeps 384 px
   a side; EXIF rotation applied; transparency flattened onto the colour the ink is not),
   grey levels in [0, 1], shrunk so the longest side is at most 1024 px;
2. ``_overview``: the same, box-shrunk by a whole factor to at most 256 px a side: steps 3–6
   find the digit there, where each costs a fraction of what it would at full size;
3. ``_ink_side``: which side is ink? A clean drawing (``_clean_background``: most pixels,
   and some of every block, exactly at the brightest or the darkest level, as on the drawing
   page's canvas) has its answer at once; otherwise (``_dark_ink``), with a smooth
   background surface taken out (the median of each block of a 6×6 grid), the ink is the
   long tail of the residual: when its third moment is negative the ink is dark, and the
   image is inverted, making the ink bright;
4. ``_flatten_lighting``: subtract a smooth background surface (the 10th percentile of each
   block of a 6×6 grid, median-filtered; flat for a clean drawing), so a shadow across the
   paper is not ink;
5. ``_normalise``: map the background noise level (99th percentile of the background pixels)
   to 0 and the typical ink level (median of the ink pixels) to 1; Otsu's threshold splits
   background from ink;
6. ``_keep_digit``: keep the connected blobs that make up the digit: drop specks (< 5 % of the
   largest blob) and, when the digit is clear of the edges, anything touching the edge (a
   table, the paper's border);
7. ``_detail``: a digit that spans fewer than 64 pixels of the overview is cut from the
   full-size image (its box only), and steps 3–5's inversion, surface and normalisation are
   applied to that cut; a larger one is framed from the overview as it is;
8. ``_thicken``: strokes thinner than MNIST's (a fine pen on a large photo) are widened, so
   that after scaling they are still about 2 of the 20 pixels wide;
9. ``_frame``: crop to the ink's bounding box, scale its longest side to 20 px with Lanczos
   anti-aliasing, and paste it into 28×28 so that its centre of mass is at pixel (14, 14):
   where MNIST has it (the mean centre of mass of the MNIST test digits, in pixel-index
   coordinates, is (13.99, 14.01); half a pixel off costs a point of accuracy).
"""

from __future__ import annotations

import functools
import io
import math
import os
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

from barenet._files import existing_file
from barenet.errors import BarenetError

try:  # libspng: wheels for Linux and Windows; elsewhere Pillow decodes every PNG
    import pyspng
except ImportError:  # pragma: no cover - the platforms CI runs on have it
    pyspng = None

if TYPE_CHECKING:
    from barenet.train import Model

MAX_PIXELS = 50_000_000
"""Largest image accepted (width × height), against decompression bombs: a 1 MB PNG can
decode to gigabytes. 50 megapixels holds any phone photo (8,660 × 5,773)."""

FRAME = 28
BOX = 20

_WORK_SIDE = 1024
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A transparent colour, and an orientation in any of the three places Pillow reads one from.
_PNG_LEFT_TO_PILLOW = (b"tRNS", b"eXIf", b"Raw profile type exif", b"XML:com.adobe.xmp")
_DRAFT_SIDE = 384
_MIN_CONTRAST = 0.1  # ink must differ from the background by 10 % of the grey range
_GRID = 6
_SPECK = 0.05
_OVERVIEW_SIDE = 256  # the digit is found on the image shrunk to at most this, ...
_DETAIL = 64  # ... and framed from it when it spans at least this many of its pixels
_LABEL_LEVEL = 0.25
_FLAT = 1 / 255  # a background surface that varies less than one grey level is flat
_BINS = 1024
_CENTRES = (np.arange(_BINS) + 0.5) / _BINS  # of the bins, in units of the top level
_EIGHT = np.ones((3, 3), bool)  # 8-connectivity: diagonal neighbours touch
_MIN_SPAN = 8
_MIN_INK = 12
_MAX_ASPECT = 2.5
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
    return read_digit(image, max_pixels=max_pixels).image


def _name(image: ImageSource) -> str:
    if isinstance(image, str | os.PathLike):
        return str(image)
    if isinstance(image, Image.Image) and getattr(image, "filename", ""):
        return str(image.filename)
    return "the image data" if isinstance(image, bytes) else "the image"


# ---------------------------------------------------------------- 1. decode to grey


def _read(image: ImageSource, name: str, max_pixels: int) -> np.ndarray:
    """Grey levels, shape (H, W) with max(H, W) ≤ 1024: uint8 (0–255) as decoded where the
    image has 8-bit grey levels (converting a million of them to float would cost more than
    the overview made from them), else float32 in [0, 1]."""
    if isinstance(image, np.ndarray):
        return _shrink(_array_grey(image, name))
    if isinstance(image, Image.Image):
        _check_size(image, name, max_pixels)
        return _pil_grey(image)
    if isinstance(image, bytes):
        png = _plain_png(image, max_pixels)  # before Pillow parses the header: it costs more
        if png is not None:
            return png
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
                f"{name} is not an image Pillow can read (PNG, JPEG, TIFF, BMP, GIF, WebP, ...)"
            ) from None
    with opened:
        _check_size(opened, name, max_pixels)
        png = None
        if opened.format == "PNG" and isinstance(source, Path):
            png = _plain_png(source.read_bytes(), max_pixels)
        if png is not None:
            return png
        try:
            # JPEG decodes at 1/2, 1/4 or 1/8 scale, straight to grey: Pillow picks the
            # smallest scale whose longest side is still ≥ 384 px, so a 12 MP photo decodes
            # as 500×375 (under half the time, a sixty-fourth of the memory): the digit is
            # found on a 256 px overview, and even a small one in the photo keeps tens of
            # pixels for its 20×20 box.
            w, h = opened.size
            scale = _DRAFT_SIDE / max(w, h)
            opened.draft("L", (math.ceil(w * scale), math.ceil(h * scale)))
            return _pil_grey(opened)
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ImageError(f"{name} cannot be decoded (corrupt or truncated: {exc})") from None


def _plain_png(data: bytes, max_pixels: int) -> np.ndarray | None:
    """The grey levels (as ``_pil_grey``) of the PNG file ``data``, decoded by libspng
    (``pyspng``) in half the time of Pillow's decoder (a 280×280 canvas: 0.55 ms against
    1.05), when it is a plain PNG: 8 bits per channel of grey, RGB or RGBA, without a
    transparent colour or an orientation (EXIF, or the XMP or text chunks Pillow also reads
    it from), within ``max_pixels``. None for any other image, and for a PNG that libspng
    refuses, or when pyspng is not installed (it has no macOS wheels): Pillow then decodes
    it, or says what is wrong (over the limit, corrupt)."""
    if pyspng is None:
        return None
    # The signature, then IHDR (always the first chunk): width, height, bit depth and colour
    # type (0 grey, 2 RGB, 6 RGBA).
    if len(data) < 33 or data[:8] != _PNG_SIGNATURE or data[12:16] != b"IHDR":
        return None
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    if not 0 < width * height <= max_pixels or depth != 8 or colour not in (0, 2, 6):
        return None
    if any(key in data for key in _PNG_LEFT_TO_PILLOW):
        return None
    try:
        pixels = pyspng.load(data)
    except RuntimeError:
        return None
    if pixels.ndim == 3 and pixels.shape[2] == 4 and max(pixels.shape[:2]) <= _WORK_SIDE:
        # Each pixel's bytes R, G, B, A as one number: opaque grey is R·0x010101 + 0xFF000000.
        # The drawing page's canvas is (dark grey ink on white): its grey level is its red
        # channel, as Pillow's convert("L") would give, without weighing three channels.
        rgba = pixels.view("<u4")[..., 0]
        if np.array_equal(rgba, (rgba & 0xFF) * np.uint32(0x010101) + np.uint32(0xFF000000)):
            return pixels[..., 0]
    return _pil_grey(Image.fromarray(pixels), rotate=False)


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
        return image
    if image.dtype.kind not in "fb":
        raise TypeError(f"{name}: an array must be uint8 or float in [0, 1], got {image.dtype}")
    grey = image.astype(np.float32)
    if not np.all(np.isfinite(grey)) or grey.min() < 0.0 or grey.max() > 1.0:
        raise ValueError(f"{name}: float grey levels must be finite and in [0, 1]")
    return grey


def _pil_grey(image: Image.Image, *, rotate: bool = True) -> np.ndarray:
    """Grey in [0, 1], shrunk, turned as its EXIF orientation says (unless ``rotate`` is
    False: an image known to have none). Transparency is flattened onto the colour the ink
    is not: a black drawing on a transparent canvas lands on white, a white one on black."""
    if rotate:
        image = ImageOps.exif_transpose(image) or image
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        # 16- and 32-bit grey: Pillow's convert("L") would clip, so stretch the range instead.
        raw = np.asarray(image, dtype=np.float32)
        span = raw.max() - raw.min()
        return _shrink((raw - raw.min()) / span if span > 0 else np.zeros_like(raw))
    size = _work_size(*image.size)
    if image.mode not in ("LA", "RGBA", "PA", "La", "RGBa") and "transparency" not in image.info:
        grey_image = image.convert("L")
        if size is not None:  # shrink before going to float: a 12 MP photo stays cheap
            grey_image = grey_image.resize(size, Image.Resampling.BOX)
        return np.asarray(grey_image)
    if image.mode in ("1", "L", "LA", "RGBA"):
        la = image.convert("LA")
    else:
        la = image.convert("RGBA").convert("LA")
    if size is not None:
        la = la.resize(size, Image.Resampling.BOX)
    pixels = np.asarray(la)
    if int(pixels[..., 1].min()) == 255:  # opaque (the drawing page's canvas): nothing to flatten
        return pixels[..., 0]
    grey_alpha = pixels / np.float32(255)
    grey, alpha = grey_alpha[..., 0], grey_alpha[..., 1]
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
    """``grey`` (uint8 or float32) box-shrunk by Pillow so its longest side is at most 1024 px."""
    size = _work_size(grey.shape[1], grey.shape[0])
    if size is None:
        return grey
    return np.asarray(Image.fromarray(grey).resize(size, Image.Resampling.BOX))


# ---------------------------------------------------------------- 2–4. ink, light, contrast


def _overview(grey: np.ndarray) -> np.ndarray:
    """``grey`` (from ``_read``) in [0, 1], float32, shrunk by the smallest whole factor f that
    brings its longest side to at most 256 px, each pixel the mean of an f×f block (summed
    straight from 8-bit grey levels, never converted at full size); ``grey`` itself when
    already that small and float. Finding the digit needs no more: the statistics of the background
    hold as well on 50,000 pixels as on a million, and each step costs a fraction of what it
    would on a 1024 px image."""
    f = -(-max(grey.shape) // _OVERVIEW_SIDE)
    top = 255 if grey.dtype == np.uint8 else 1  # the grey level of white
    if f == 1:
        return grey / np.float32(top) if top != 1 else grey
    fh, fw = min(f, grey.shape[0]), min(f, grey.shape[1])
    h, w = grey.shape[0] // fh * fh, grey.shape[1] // fw * fw
    # The sum of the f² interleaved sub-images (a few passes over the image, in place of a
    # round trip through Pillow); the last rows and columns short of a whole block are left out.
    # 8-bit levels add up in 16 bits (at most 4 × 4 × 255): cheaper than converting each.
    total = grey[:h:fh, :w:fw].astype(np.uint16 if top == 255 else np.float32)
    for i in range(fh):
        for j in range(fw):
            if i or j:
                total += grey[i:h:fh, j:w:fw]
    return total * np.float32(1 / (top * fh * fw))


def _ink_side(grey: np.ndarray, name: str) -> tuple[bool, np.ndarray]:
    """Whether the ink is darker than the background, and the background on a grid of the
    image with the ink made bright: from ``_clean_background`` when the image is a clean
    drawing, else from ``_dark_ink``. Raises ``BlankImageError`` for a nearly uniform image."""
    lo, hi = float(grey.min()), float(grey.max())
    if hi - lo < _MIN_CONTRAST:
        raise BlankImageError(f"{name} is blank: no ink found (the image is nearly uniform)")
    return _clean_background(grey, lo, hi) or _dark_ink(grey)


def _clean_background(grey: np.ndarray, lo: float, hi: float) -> tuple[bool, np.ndarray] | None:
    """``_dark_ink(grey)``'s answer for a clean drawing (a drawing pad's canvas: one
    background level v, the image's brightest or darkest, covering most of it, with the ink
    all on the other side), without its sort; None for anything else (a photo), which then
    takes ``_dark_ink``.

    The test: more than half of the pixels (of ``_grid``'s blocks) are exactly at v, and so
    is the background quantile of every block after ``_grid``'s 3×3 median filter. With v
    the brightest level (``hi``), a block's 90th percentile is v exactly when at least
    n − ⌊0.9(n − 1)⌋ of its n pixels are at v; the median of nine such percentiles, none above
    v, is v when five of them are (``_median3`` of the 0/1 grid). Then the background surface
    is flat at 1 − v, what ``_dark_ink`` returns (to the rounding of a mean), and the ink is
    dark: it is every pixel not at v, and all of them are darker. Likewise with v the darkest
    level (``lo``), the 10th percentile and bright ink. A photo's paper varies from pixel to
    pixel and across the page, so its background is not one level in every block."""
    g, bh, bw = _blocks(grey.shape)
    n = bh * bw
    for level, dark in ((hi, True), (lo, False)):
        at = grey[: bh * g[0], : bw * g[1]] == np.float32(level)
        # Pixels at ``level`` in each block: rows of blocks first, then columns.
        rows = at.reshape(g[0], bh, g[1] * bw).sum(axis=1, dtype=np.int32)
        counts = rows.reshape(g[0], g[1], bw).sum(axis=2)
        if 2 * int(counts.sum()) <= n * g[0] * g[1]:
            continue
        need = n - int(0.9 * (n - 1)) if dark else int(0.1 * (n - 1)) + 1
        # Every block at ``level`` needs no filter; else the filtered grid must be.
        if int(counts.min()) >= need or bool(np.all(_median3((counts >= need)[None]) == 1.0)):
            return dark, np.full((1, 1), 1.0 - level if dark else level, np.float32)
    return None


def _blocks(shape: tuple[int, ...]) -> tuple[tuple[int, int], int, int]:
    """``_grid``'s blocks for an image of ``shape``: the grid (at most 6×6) and the height
    and width of its equal blocks (the image cropped to a multiple of the grid)."""
    g = (min(_GRID, shape[0]), min(_GRID, shape[1]))
    return g, shape[0] // g[0], shape[1] // g[1]


def _dark_ink(grey: np.ndarray) -> tuple[bool, np.ndarray]:
    """Whether the ink is darker than the background, and the background on a 6×6 grid
    (``_grid``) of the image with the ink made bright.

    The ink is the minority of pixels far from the background on one side: with the smooth
    background surface subtracted (through the median of each block), the residual r has a
    long tail on the ink's side, so the sign of its third moment Σr³ tells dark ink
    (negative) from bright. Judging the raw grey levels instead (is the mean below the
    median?) fails under uneven light: a gradient across the paper skews the distribution
    more than a thin digit does."""
    low, median, high = _grid(grey, (0.1, 0.5, 0.9))
    residual = (grey - _surface(median, grey.shape)).ravel()
    dark = bool(np.dot(residual, residual * residual) < 0)
    # The background of the bright-ink image is its 10th percentile: right unless ink covers
    # 90 % of the block. For dark ink that is 1 − the 90th percentile of the grey levels.
    return dark, 1.0 - high if dark else low


def _grid(grey: np.ndarray, quantiles: tuple[float, ...]) -> list[np.ndarray]:
    """The background of ``grey`` on a 6×6 grid, one grid per quantile q: the q-quantile of
    each block (all from one ``np.sort``), then a 3×3 median filter across the grid
    (``_median3``: a block buried in a thick stroke takes its neighbours' value)."""
    g, bh, bw = _blocks(grey.shape)
    # Equal blocks, all ranked in one call.
    blocks = grey[: bh * g[0], : bw * g[1]].reshape(g[0], bh, g[1], bw).swapaxes(1, 2)
    blocks = blocks.reshape(g[0], g[1], bh * bw)
    ks = [int(q * (bh * bw - 1)) for q in quantiles]
    # One sort costs less than np.partition with several ranks (one selection per rank).
    ranked = np.sort(blocks, axis=2)
    return list(_median3(np.moveaxis(ranked[:, :, ks], 2, 0)))


def _median3(grids: np.ndarray) -> np.ndarray:
    """The 3×3 median filter of each of the (k, m, n) ``grids``, edges repeated (what
    ``ndimage.median_filter(size=3, mode="nearest")`` does, in one NumPy call for all k
    grids: on 6×6 grids SciPy's per-call overhead is most of the cost)."""
    m, n = grids.shape[1:]
    rows, cols = np.clip(np.arange(-1, m + 1), 0, m - 1), np.clip(np.arange(-1, n + 1), 0, n - 1)
    padded = grids[:, rows][:, :, cols]  # edges repeated (np.pad costs ten times more)
    shifted = np.stack([padded[:, i : i + m, j : j + n] for i in range(3) for j in range(3)])
    return np.partition(shifted, 4, axis=0)[4].astype(np.float32)


def _surface(
    grid: np.ndarray,
    shape: tuple[int, int],
    rows: slice = slice(None),
    cols: slice = slice(None),
) -> np.ndarray | np.float32:
    """The smooth surface through ``grid`` at the pixels ``[rows, cols]`` of an image of
    ``shape`` (bilinear, as two small matrix products); a grid flatter than one grey level
    is one number."""
    if float(grid.max()) - float(grid.min()) < _FLAT:
        return np.float32(grid.mean())
    across = _bilinear(shape[0], grid.shape[0])[rows]
    along = _bilinear(shape[1], grid.shape[1])[cols]
    return across @ grid @ along.T


def _flatten_lighting(grey: np.ndarray, dark: bool, grid: np.ndarray) -> np.ndarray:
    """The ink made bright (``1 − grey`` when it is ``dark``) less the background surface
    through ``grid`` (from ``_ink_side``), clipped at 0."""
    surface = _surface(grid, grey.shape)
    out = (1.0 - surface) - grey if dark else grey - surface
    return np.maximum(out, 0.0, out=out)


@functools.lru_cache(maxsize=64)
def _bilinear(n: int, m: int) -> np.ndarray:
    """The (n, m) matrix that interpolates m grid values linearly at n pixel centres (the
    grid's values sit at the centres of its m blocks; beyond the outer ones, constant):
    ``A @ grid @ B.T`` is the bilinear surface, two small matrix products instead of a
    per-pixel interpolation. Cached (images come in a few sizes); read-only."""
    u = np.clip((np.arange(n) + 0.5) * (m / n) - 0.5, 0, m - 1)
    lo = np.minimum(u.astype(np.intp), max(m - 2, 0))
    frac = (u - lo).astype(np.float32)
    out = np.zeros((n, m), np.float32)
    out[np.arange(n), lo] = 1 - frac
    if m > 1:
        out[np.arange(n), lo + 1] += frac
    out.flags.writeable = False
    return out


def _otsu(counts: np.ndarray, centres: np.ndarray) -> int:
    """Otsu's threshold on a histogram: the bin index k that maximises the between-class
    variance w₀w₁(μ₀ − μ₁)² of the classes ``bins[:k+1]`` and ``bins[k+1:]``."""
    w0 = np.cumsum(counts)
    w1 = w0[-1] - w0
    m0 = np.cumsum(counts * centres)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = w0 * w1 * (m0 / w0 - (m0[-1] - m0) / w1) ** 2
    # An empty class gives 0/0: np.fmax takes -1 over NaN (np.nanargmax costs more).
    return int(np.argmax(np.fmax(between[:-1], -1.0)))


def _normalise(ink: np.ndarray, name: str) -> np.ndarray:
    """(x − noise) / (ink − noise), clipped to [0, 1]: the background noise level (99th
    percentile below Otsu's threshold) becomes 0, the median ink level becomes 1.

    All three levels come from one 1024-bin histogram of every pixel (``np.bincount``),
    so a thin stroke that a sample would miss still counts."""
    hi = float(ink.max())
    if hi <= 0.0:
        raise BlankImageError(f"{name} is blank: no ink stands out from the background")
    bins = (ink * np.float32(_BINS / hi)).astype(np.intp)
    # The top level lands in bin 1024 (and nothing above it): folded into the last bin
    # afterwards, rather than clipping every pixel's bin.
    counts = np.bincount(bins.ravel(), minlength=_BINS + 1).astype(np.float64)
    counts[_BINS - 1] += counts[_BINS]
    counts = counts[:_BINS]
    centres = _CENTRES * hi
    k = _otsu(counts, centres)
    below, above = np.cumsum(counts[: k + 1]), np.cumsum(counts[k + 1 :])
    noise = centres[np.searchsorted(below, 0.99 * below[-1])]
    level = centres[k + 1 + np.searchsorted(above, 0.5 * above[-1])] if above[-1] else 0.0
    if level - noise < _MIN_CONTRAST:
        raise BlankImageError(f"{name} is blank: no ink stands out from the background")
    out = ink - np.float32(noise)
    out *= np.float32(1.0 / (level - noise))
    np.maximum(out, 0.0, out=out)  # np.clip costs more on small images
    return np.minimum(out, 1.0, out=out)


# ---------------------------------------------------------------- 5. the digit's blobs


@dataclass(frozen=True)
class Blob:
    """One connected blob of ink kept as part of the digit: its box (``bottom``/``right``
    exclusive) and its area, in pixels of the overview (``_overview``)."""

    top: int
    left: int
    bottom: int
    right: int
    area: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left


def _keep_digit(y: np.ndarray) -> tuple[np.ndarray, list[Blob]]:
    """The part of ``y`` (the overview, at most 128 px a side) that holds the digit's blobs,
    as a boolean mask, and those blobs.

    Blobs are the 8-connected components (``ndimage.label``) of the ink (y > 0.25: in the
    overview a thin stroke is averaged with the paper around it); ``ndimage.find_objects``
    gives their boxes. When a blob clear of the image's edges spans at least 1/8 of the
    image, it is the digit, and blobs touching the edge are dropped unless they come within
    a quarter of its size of it: a table or the paper's border lies away from the digit, a
    stroke of the digit that runs off the edge does not. Then blobs under 5 % of the largest
    one's area are dropped as specks. The mask is grown by one pixel, so the soft edges of
    the strokes stay.
    """
    ink = y > _LABEL_LEVEL
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return np.ones(y.shape, bool), []
    # Every blob lies in the box of all the ink: only that window is labelled (a drawing's
    # digit covers a third of the overview), and boxes are moved back by its corner.
    window = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
    corner = np.array([rows[0], cols[0], rows[0], cols[0]])
    labels, n = ndimage.label(ink[window], structure=_EIGHT)
    # Blob i + 1's box (top, left, bottom, right) is row i; its area in pixels. One blob
    # (the usual drawing) fills the window.
    if n == 1:
        box = np.array([(0, 0, *labels.shape)]) + corner
        area = np.array([np.count_nonzero(labels)])
    else:
        slices = ndimage.find_objects(labels)
        box = np.array([(r.start, c.start, r.stop, c.stop) for r, c in slices]) + corner
        area = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    extent = np.maximum(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1])
    h, w = y.shape
    edge = (box[:, 0] == 0) | (box[:, 1] == 0) | (box[:, 2] == h) | (box[:, 3] == w)
    keep = np.ones(n, bool)
    if np.any(extent[~edge] >= min(h, w) / 8):
        digit = int(np.argmax(np.where(edge, -1, area)))
        margin = extent[digit] / 4
        top, left = box[digit, :2] - margin
        bottom, right = box[digit, 2:] + margin
        near = (box[:, 0] < bottom) & (box[:, 2] > top) & (box[:, 1] < right) & (box[:, 3] > left)
        keep &= ~edge | near
    keep &= area >= _SPECK * area[keep].max()
    mask = np.zeros(y.shape, bool)
    # Every blob kept (the usual case): the mask is the ink, without a lookup per pixel.
    mask[window] = labels > 0 if keep.all() else np.concatenate([[False], keep])[labels]
    blobs = [Blob(*(int(v) for v in box[i]), area=int(area[i])) for i in np.flatnonzero(keep)]
    return _grow(mask), blobs


def _grow(mask: np.ndarray) -> np.ndarray:
    """``mask`` grown by one pixel in all eight directions (a binary dilation by a 3×3
    square, as two separable passes of shifted ORs)."""
    rows = mask.copy()
    rows[1:] |= mask[:-1]
    rows[:-1] |= mask[1:]
    out = rows.copy()
    out[:, 1:] |= rows[:, :-1]
    out[:, :-1] |= rows[:, 1:]
    return out


def _detail(
    grey: np.ndarray, dark: bool, grid: np.ndarray, region: np.ndarray, name: str
) -> np.ndarray:
    """The digit at the full working resolution, for a digit too small in the overview to be
    framed from it: the box of ``region`` (the overview's mask) cut from ``grey``, inverted
    when the ink is ``dark``, less the overview's background surface (``grid``), normalised
    again (the noise of single pixels is higher than that of the overview's averages), and
    masked by ``region``. Only the digit's box is worked on at full size."""
    h, w = grey.shape
    hs, ws = region.shape
    r, c = np.flatnonzero(region.any(axis=1)), np.flatnonzero(region.any(axis=0))
    rows = slice(r[0] * h // hs, -(-(r[-1] + 1) * h // hs))
    cols = slice(c[0] * w // ws, -(-(c[-1] + 1) * w // ws))
    crop = grey[rows, cols]
    if crop.dtype == np.uint8:
        crop = crop / np.float32(255)
    ink = 1.0 - crop if dark else crop.copy()
    ink -= _surface(grid, (h, w), rows, cols)
    y = _normalise(np.maximum(ink, 0.0, out=ink), name)
    mask = region[np.arange(rows.start, rows.stop) * hs // h]
    return y * mask[:, np.arange(cols.start, cols.stop) * ws // w]


# ---------------------------------------------------------------- 6–7. strokes and frame


def _bbox(y: np.ndarray, level: float = 0.1) -> tuple[slice, slice]:
    rows = np.flatnonzero(y.max(axis=1) > level)
    cols = np.flatnonzero(y.max(axis=0) > level)
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def _thicken(crop: np.ndarray) -> np.ndarray:
    """``crop`` (the ink's bounding box, ``_bbox``), with strokes thinner than 1/10 of the
    digit's longest side (a fine pen on a large photo) widened to that width, which is 2 px
    once the digit is scaled to 20 px (grey dilation, ``ndimage.maximum_filter``; the result
    is still the ink's bounding box).

    The stroke width is estimated as 2·area / boundary length of the ink (y > 0.5): a
    stroke of width s and length ℓ has area sℓ and a boundary about 2ℓ long; the boundary
    is the ink less its erosion by a 4-neighbour cross (pixels outside the image count as
    background).
    """
    ink = np.zeros((crop.shape[0] + 2, crop.shape[1] + 2), bool)
    core = ink[1:-1, 1:-1]
    np.greater(crop, 0.5, out=core)
    area = int(np.count_nonzero(core))
    # The erosion by the cross, as four shifted ANDs (ndimage.binary_erosion is slower here).
    inner = core & ink[:-2, 1:-1] & ink[2:, 1:-1] & ink[1:-1, :-2] & ink[1:-1, 2:]
    boundary = area - int(np.count_nonzero(inner))
    if boundary == 0:
        return crop
    grow = round((_STROKE * max(crop.shape) - 2.0 * area / boundary) / 2)
    if grow < 1:
        return crop
    return ndimage.maximum_filter(np.pad(crop, grow), size=2 * grow + 1, mode="constant")


def _frame(crop: np.ndarray) -> np.ndarray:
    """Scale ``crop`` (the ink's bounding box) so its longest side is 20 px, and move its
    centre of mass Σ(i·yᵢⱼ)/Σyᵢⱼ to pixel (14, 14) of the 28×28 frame (by whole pixels, as
    MNIST did; kept inside the frame).

    The scaling is Lanczos's filter (``_lanczos``), not ``ndimage.zoom``: shrinking a 500 px
    digit to 20 px must average the pixels each output pixel covers (anti-aliasing, as
    MNIST's digits were made), where ``zoom`` samples the spline at 20 points and drops thin
    strokes."""
    h, w = crop.shape
    oh, ow = max(1, round(h * BOX / max(h, w))), max(1, round(w * BOX / max(h, w)))
    small = (_lanczos(h, oh) @ crop @ _lanczos(w, ow).T).astype(np.float32)
    np.clip(small, 0.0, 1.0, out=small)
    small *= np.float32(1.0 / small.max())
    rows, cols = small.sum(axis=1), small.sum(axis=0)
    mass = float(rows.sum())
    cy = float(rows @ np.arange(oh, dtype=np.float32)) / mass
    cx = float(cols @ np.arange(ow, dtype=np.float32)) / mass
    centre = FRAME / 2
    top = min(max(round(centre - cy), 0), FRAME - small.shape[0])
    left = min(max(round(centre - cx), 0), FRAME - small.shape[1])
    out = np.zeros((FRAME, FRAME), np.float32)
    out[top : top + small.shape[0], left : left + small.shape[1]] = small
    return out


@functools.lru_cache(maxsize=256)
def _lanczos(n: int, m: int) -> np.ndarray:
    """The (m, n) matrix that resamples n pixels to m with the Lanczos filter (a = 3), as
    Pillow's ``Image.resize(..., LANCZOS)`` does: output pixel i, centred at c = (i + ½)·n/m,
    is Σⱼ L((j + ½ − c)/s)·xⱼ over the sum of the weights, with L(t) = sinc(t)·sinc(t/3) for
    |t| < 3 and s = max(n/m, 1), so a shrinking filter widens to average every pixel it
    covers. ``A @ crop @ B.T`` scales both sides: two small matrix products. Cached (a crop
    comes in few sizes); read-only."""
    s = max(n / m, 1.0)
    t = ((np.arange(n) + 0.5)[None, :] - (np.arange(m) + 0.5)[:, None] * (n / m)) / s
    weights = np.where(np.abs(t) < 3.0, np.sinc(t) * np.sinc(t / 3.0), 0.0)
    out = (weights / weights.sum(axis=1, keepdims=True)).astype(np.float32)
    out.flags.writeable = False
    return out


# ---------------------------------------------------------------- is it one digit?


def _shape_warnings(y: np.ndarray, blobs: list[Blob]) -> list[str]:
    """Why the kept ink ``y`` (its bounding box will do) is unlikely to be one MNIST-like
    digit ([] when it looks like one).

    - several digits: two or more blobs of digit size (each at least half as tall as the
      tallest and a fifth of the largest one's area) side by side (their columns overlap by
      less than a quarter of the narrower one's width), as in "42";
    - too little ink: the ink spans fewer than 8 pixels, or covers fewer than 12: there is
      no shape to read;
    - an extreme shape: the ink is more than 2.5 times as wide as it is tall (no digit is;
      a word, a line or a row of digits is).
    """
    out = []
    if blobs:
        tallest = max(b.height for b in blobs)
        largest = max(b.area for b in blobs)
        big = sorted(
            (b for b in blobs if b.height >= tallest / 2 and b.area >= largest / 5),
            key=lambda b: b.left,
        )
        side_by_side = 1
        right_edge, width = big[0].right, big[0].width
        for b in big[1:]:
            if right_edge - b.left < min(width, b.width) / 4:
                side_by_side += 1
                right_edge, width = b.right, b.width
            elif b.right > right_edge:
                right_edge, width = b.right, b.width
        if side_by_side > 1:
            out.append(
                f"more than one digit ({side_by_side} separate digit-sized marks side by side)"
            )
    rows, cols = _bbox(y, 0.5)
    h, w = rows.stop - rows.start, cols.stop - cols.start
    pixels = int((y > 0.5).sum())
    if max(h, w) < _MIN_SPAN or pixels < _MIN_INK:
        out.append(f"too little ink (a {w}×{h} pixel mark, {pixels} pixels of ink)")
    elif w > _MAX_ASPECT * h:
        out.append(f"no digit has this shape ({w / h:.1f} times as wide as it is tall)")
    return out


@dataclass(frozen=True)
class Reading:
    """What ``read_digit`` makes of an image: the network's input and the shape warnings."""

    image: np.ndarray
    """float32 (28, 28) in [0, 1], white digit on black."""
    warnings: list[str]
    """Why the image is unlikely to be one MNIST-like digit; [] when it looks like one."""


def read_digit(image: ImageSource, *, max_pixels: int = MAX_PIXELS) -> Reading:
    """``preprocess_image`` plus the warnings of ``_shape_warnings`` (several digits, too
    little ink, an extreme shape). Raises what ``preprocess_image`` raises."""
    name = _name(image)
    grey = _read(image, name, max_pixels)
    small = _overview(grey)
    dark, grid = _ink_side(small, name)
    y = _normalise(_flatten_lighting(small, dark, grid), name)
    region, blobs = _keep_digit(y)
    digit = y * region
    rows, cols = _bbox(digit)
    if small.shape != grey.shape and max(rows.stop - rows.start, cols.stop - cols.start) < _DETAIL:
        digit = _detail(grey, dark, grid, region, name)
        rows, cols = _bbox(digit)
    crop = digit[rows, cols]
    return Reading(_frame(_thicken(crop)), _shape_warnings(crop, blobs))


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
