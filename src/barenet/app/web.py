"""The drawing page and its JSON API: a FastAPI app around one loaded model.

Routes::

    GET  /              the page: draw a digit, see what the network reads (static/index.html)
    GET  /static/...    its script and style, shipped in the package (no CDN)
    POST /api/predict   an image (the canvas sends a PNG) → digit, probabilities, 28×28 input
    GET  /api/health    liveness and what model is loaded
    GET  /docs          OpenAPI documentation (FastAPI's default)

The request body of ``/api/predict`` is the image file itself, read as a stream: more than
``max_body`` bytes is refused with 413 (by ``Content-Length`` before reading, and by counting
while reading, for a client that sends none or lies), a content type that is not ``image/*``
with 415, and an image that cannot be decoded or holds no digit with 422. Every refusal is a
JSON ``{"detail": "..."}``; the server goes on serving.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from barenet._version import __version__
from barenet.app.preprocess import (
    MAX_PIXELS,
    ImageError,
    ImageTooLargeError,
    class_names,
    preprocess_image,
)
from barenet.train import Model

MAX_BODY = 1_000_000
"""Largest request body accepted by ``/api/predict``, in bytes (1 MB)."""

STATIC = Path(__file__).resolve().parent / "static"


class Prediction(BaseModel):
    digit: int = Field(description="index of the most probable class")
    label: str = Field(description="its class name")
    probabilities: list[float] = Field(description="one per class, summing to 1")
    image: list[list[float]] = Field(
        description="the 28×28 input the network saw, rows of grey levels in [0, 1]"
    )


class Health(BaseModel):
    status: str
    model: str
    inputs: int
    classes: list[str]
    version: str


class Problem(BaseModel):
    detail: str


def create_app(
    model: Model,
    *,
    model_name: str = "model",
    max_body: int = MAX_BODY,
    max_pixels: int = MAX_PIXELS,
) -> FastAPI:
    """The app for ``model`` (loaded once, by the caller); ``model_name`` is shown on the page."""
    names = class_names(model)
    # Layers are objects with per-call state (Dropout resets its mask on every forward), so
    # predictions from the thread pool run one at a time; each takes microseconds.
    lock = threading.Lock()

    def predict_proba(x: np.ndarray) -> np.ndarray:
        with lock:
            return model.predict_proba(x)[0].astype(np.float64)

    # FastAPIOffline: the /docs and /redoc pages load Swagger UI and ReDoc from the package,
    # not from a CDN, so they work offline like the drawing page.
    app = FastAPIOffline(
        title="barenet",
        version=__version__,
        description="Draw a digit; a barenet network trained on MNIST reads it. "
        "`POST /api/predict` takes an image file as the request body.",
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/api/health", response_model=Health, summary="liveness and the loaded model")
    def health() -> Health:
        return Health(
            status="ok",
            model=model_name,
            inputs=model.in_features,
            classes=names,
            version=__version__,
        )

    @app.post(
        "/api/predict",
        response_model=Prediction,
        summary="the digit in an image",
        responses={
            413: {"model": Problem, "description": f"body over {max_body:,} bytes"},
            415: {"model": Problem, "description": "content type is not image/*"},
            422: {"model": Problem, "description": "not decodable, or no digit in it"},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "the image file itself (PNG, JPEG, ...), "
                f"at most {max_body:,} bytes",
                "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
            }
        },
    )
    async def predict(request: Request) -> Prediction:
        body = await _read_image_body(request, max_body)
        try:
            image = await run_in_threadpool(preprocess_image, body, max_pixels=max_pixels)
        except ImageTooLargeError as exc:
            raise HTTPException(413, str(exc)) from None
        except ImageError as exc:
            raise HTTPException(422, str(exc)) from None
        proba = await run_in_threadpool(predict_proba, image.reshape(1, -1))
        best = int(np.argmax(proba))
        return Prediction(
            digit=best,
            label=names[best],
            probabilities=[float(p) for p in proba],
            image=np.round(image, 4).tolist(),
        )

    return app


async def _read_image_body(request: Request, max_body: int) -> bytes:
    """The request body, refused with 415 unless the content type is ``image/*`` and with
    413 as soon as it is known to exceed ``max_body`` bytes."""
    content_type = request.headers.get("content-type", "")
    if not content_type.split(";")[0].strip().lower().startswith("image/"):
        raise HTTPException(
            415,
            f"send the image file as the body with an image content type such as image/png, "
            f"not {content_type or 'no content type'}",
        )
    too_large = f"the image is larger than {max_body:,} bytes"
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise HTTPException(400, f"invalid Content-Length {declared!r}")
        if int(declared) > max_body:
            raise HTTPException(413, too_large)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_body:
            raise HTTPException(413, too_large)
    if not body:
        raise HTTPException(422, "the request body is empty: send an image file")
    return bytes(body)
