"""Digits drawn with Pillow, and measurements of a 28×28 preprocessed image."""

from __future__ import annotations

import struct
import zlib

import numpy as np
from PIL import Image, ImageDraw


def draw_digit(
    kind: str = "7",
    *,
    size: tuple[int, int] = (280, 280),
    box: tuple[int, int, int, int] = (70, 40, 210, 240),
    width: int = 20,
    ink: int = 0,
    paper: int = 255,
) -> Image.Image:
    """A "1" (vertical stroke), "7" (bar and diagonal), "0" (ellipse), "4" (open four) or
    "2" (arc, diagonal, base) in ``box``."""
    image = Image.new("L", size, paper)
    pen = ImageDraw.Draw(image)
    x0, y0, x1, y1 = box
    if kind == "1":
        pen.line([((x0 + x1) // 2, y0), ((x0 + x1) // 2, y1)], fill=ink, width=width)
    elif kind == "7":
        corner = (x1, y0)
        pen.line([(x0, y0), corner, (x0 + (x1 - x0) // 4, y1)], fill=ink, width=width)
        pen.ellipse([x1 - width / 2, y0 - width / 2, x1 + width / 2, y0 + width / 2], fill=ink)
    elif kind == "0":
        pen.ellipse(box, outline=ink, width=width)
    elif kind == "4":
        mid_x, bar_y = x0 + (x1 - x0) * 2 // 3, y0 + (y1 - y0) * 2 // 3
        pen.line([(x0, y0), (x0, bar_y), (x1, bar_y)], fill=ink, width=width)
        pen.line([(mid_x, y0), (mid_x, y1)], fill=ink, width=width)
    elif kind == "2":
        top = (x0, y0, x1, y0 + (y1 - y0) // 2)
        pen.arc(top, 180, 20, fill=ink, width=width)
        pen.line(
            [(x1 - width // 2, y0 + (y1 - y0) // 3), (x0, y1), (x1, y1)], fill=ink, width=width
        )
    else:
        raise ValueError(kind)
    return image


def draw_number(digits: str, *, size: tuple[int, int] = (280, 280), width: int = 18) -> Image.Image:
    """Several digits side by side (each drawn by ``draw_digit`` in its own column), as a
    person writes "42" on the drawing pad."""
    image = Image.new("L", size, 255)
    column = size[0] // len(digits)
    for k, kind in enumerate(digits):
        cell = draw_digit(
            kind,
            size=(column, size[1]),
            box=(column // 6, size[1] // 5, column * 5 // 6, size[1] * 4 // 5),
            width=width,
        )
        image.paste(cell, (k * column, 0))
    return image


def phone_photo(kind: str = "7", *, size: tuple[int, int] = (2400, 1800), seed: int = 0) -> bytes:
    """A JPEG that looks like a phone photo of ``kind`` written on paper: lit unevenly from
    the left, camera noise, dust specks, the dark table along the bottom edge, slight blur."""
    import io

    from PIL import ImageFilter

    rng = np.random.default_rng(seed)
    w, h = size
    box = (w * 3 // 8, h // 5, w * 9 // 16, h * 3 // 5)
    clean = np.asarray(draw_digit(kind, size=size, box=box, width=max(4, w // 40)))
    light = np.linspace(1.0, 0.55, w)[None, :] * np.linspace(1.0, 0.85, h)[:, None]
    photo = np.where(clean < 128, 0.18, 0.92) * light
    photo = photo + rng.normal(0, 0.025, photo.shape)
    for y, x in rng.integers([0, 0], [h - h // 15, w], size=(12, 2)):
        photo[y : y + 3, x : x + 3] = 0.2
    photo[h - h // 15 :] = 0.12
    image = Image.fromarray(np.uint8(np.clip(photo, 0, 1) * 255)).convert("RGB")
    buffer = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(1.2)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def ink_box(a: np.ndarray, level: float = 0.0) -> tuple[int, int, int, int]:
    """(top, left, height, width) of the pixels above ``level``."""
    rows = np.flatnonzero(a.max(axis=1) > level)
    cols = np.flatnonzero(a.max(axis=0) > level)
    return rows[0], cols[0], rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def centre_of_mass(a: np.ndarray) -> tuple[float, float]:
    """(row, column) of the centre of mass, in pixel-index coordinates."""
    mass = a.sum()
    return (
        float((a.sum(axis=1) * np.arange(a.shape[0])).sum() / mass),
        float((a.sum(axis=0) * np.arange(a.shape[1])).sum() / mass),
    )


def blur(a: np.ndarray) -> np.ndarray:
    """Two passes of a 3×3 box filter: a one-pixel shift of a thin stroke then matters little."""
    for _ in range(2):
        p = np.pad(a, 1)
        a = sum(p[dy : dy + a.shape[0], dx : dx + a.shape[1]] for dy in range(3) for dx in range(3))
    return a / 81


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two blurred images (1 = the same shape)."""
    a, b = blur(a), blur(b)
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares ``width``×``height`` but holds no pixel data: what a decompression
    bomb looks like before decoding."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )
