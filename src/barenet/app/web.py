"""The drawing page and its JSON API: a FastAPI app around one loaded model.

Routes::

    GET  /              the page: draw a digit, see what the network reads (static/index.html)
    GET  /static/...    its script and style, shipped in the package (no CDN)
    POST /api/predict   an image (the canvas sends a PNG, the photo button the photo) → digit,
                        calibrated probabilities, 28×28 input, warning
    GET  /api/health    liveness and what model is loaded
    GET  /docs          OpenAPI documentation (FastAPI's default)

The request body of ``/api/predict`` is the image file itself (``Content-Type: image/*``), or
a ``multipart/form-data`` form with one file field (``curl -F file=@digit.jpg``, a browser
form), read as a stream: more than ``max_body`` bytes (20 MB by default: any phone photo) is
refused with 413 (by ``Content-Length`` before reading, and by counting while reading, for a
client that sends none or lies), a content type that is neither with 415, and an image that
cannot be decoded or holds no digit with 422. Every refusal is a JSON ``{"detail": "..."}``;
the server goes on serving. Decoding and prediction run in a worker thread, one image at a
time, never on the event loop, which goes on accepting and reading other requests.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import anyio
import anyio.to_thread
import numpy as np
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from barenet._version import __version__
from barenet.app.answer import Answer, answer
from barenet.app.preprocess import (
    MAX_PIXELS,
    ImageError,
    ImageTooLargeError,
    class_names,
    read_digit,
)
from barenet.train import Model

MAX_BODY = 20_000_000
"""Largest request body accepted by ``/api/predict``, in bytes (20 MB: a 12 MP phone JPEG is
3–8 MB, a 50 MP one up to 20)."""

OCTET_STREAM = "application/octet-stream"  # what curl -F sends for an unknown extension
UPLOAD_TIMEOUT = 10.0
"""Seconds an upload may take to arrive (a slow client must not hold a connection for ever)."""

STATIC = Path(__file__).resolve().parent / "static"


class Prediction(BaseModel):
    digit: int = Field(description="index of the most probable class")
    label: str = Field(description="its class name")
    probabilities: list[float] = Field(
        description="one per class, summing to 1 (calibrated when the model has a temperature)"
    )
    image: list[list[float]] = Field(
        description="the 28×28 input the network saw, rows of grey levels in [0, 1]"
    )
    warning: str | None = Field(
        description="why the image is probably not a single MNIST-like digit (several digits, "
        "too little ink, a shape no digit has, an unsure network), or null"
    )
    warnings: list[str] = Field(description="the same, one reason per entry")


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
    upload_timeout: float = UPLOAD_TIMEOUT,
) -> FastAPI:
    """The app for ``model`` (loaded once, by the caller); ``model_name`` is shown on the page.
    An upload that takes longer than ``upload_timeout`` seconds to arrive is refused (408)."""
    names = class_names(model)
    # One image at a time per worker process, in a thread (never on the event loop), the
    # others waiting their turn in order: the work is CPU-bound and `serve` runs one worker
    # per core, so more threads would only interleave and delay every answer alike. It is
    # also what the network needs: its layers keep per-call state (Dropout's mask).
    one_at_a_time = anyio.CapacityLimiter(1)

    def infer(body: bytes) -> bytes:
        """Decode, preprocess, predict and serialise the answer: one trip to the thread pool
        per request, and nothing CPU-bound left for the event loop."""
        reading = read_digit(body, max_pixels=max_pixels)
        return _prediction_json(answer(model, reading, names))

    # FastAPIOffline: the /docs and /redoc pages load Swagger UI and ReDoc from the package,
    # not from a CDN, so they work offline like the drawing page.
    app = FastAPIOffline(
        title="barenet",
        version=__version__,
        description="Draw a digit; a barenet network trained on MNIST reads it. "
        "`POST /api/predict` takes an image file as the request body, or a multipart form "
        "with one file field.",
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
            408: {"model": Problem, "description": "the upload arrived too slowly"},
            413: {"model": Problem, "description": f"body over {max_body:,} bytes"},
            415: {
                "model": Problem,
                "description": "content type is neither image/* nor multipart/form-data",
            },
            422: {"model": Problem, "description": "not decodable, or no digit in it"},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "the image file itself (PNG, JPEG, ...), or a form with one "
                f"file field; at most {max_body:,} bytes",
                "content": {
                    "image/png": {"schema": {"type": "string", "format": "binary"}},
                    "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {"file": {"type": "string", "format": "binary"}},
                            "required": ["file"],
                        }
                    },
                },
            }
        },
    )
    async def predict(request: Request) -> Response:
        try:
            async with asyncio.timeout(upload_timeout):
                body = await _read_image_body(request, max_body)
        except TimeoutError:
            raise HTTPException(
                408, f"the upload took longer than {upload_timeout:g} s to arrive"
            ) from None
        try:
            content = await anyio.to_thread.run_sync(infer, body, limiter=one_at_a_time)
        except ImageTooLargeError as exc:
            raise HTTPException(413, str(exc)) from None
        except ImageError as exc:
            raise HTTPException(422, str(exc)) from None
        return Response(content, media_type="application/json")

    return app


def _prediction_json(result: Answer) -> bytes:
    """``result`` as the JSON of ``Prediction``, serialised here in one ``json.dumps``: FastAPI
    would validate and encode the 784 grey levels through pydantic, which cost more CPU than
    the network's prediction (the schema in the docs is still ``Prediction``'s, and a test
    checks the answer against it)."""
    image = np.round(result.image.astype(np.float64), 4).tolist()
    return json.dumps(
        {
            "digit": result.digit,
            "label": result.label,
            "probabilities": result.probabilities,
            "image": image,
            "warning": result.warning,
            "warnings": result.warnings,
        },
        separators=(",", ":"),
    ).encode()


async def _read_image_body(request: Request, max_body: int) -> bytes:
    """The image file in the request: the body itself (``image/*``) or the one file field of
    a ``multipart/form-data`` body. 415 for another content type, 413 as soon as the body is
    known to exceed ``max_body`` bytes, 422 for an empty body or a form without a file."""
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";")[0].strip().lower()
    multipart = kind == "multipart/form-data"
    if not (kind.startswith("image/") or multipart):
        raise HTTPException(
            415,
            "send the image file as the body with an image content type such as image/png, "
            f"or as a multipart/form-data file field, not {content_type or 'no content type'}",
        )
    too_large = f"the upload is larger than {max_body:,} bytes"
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
    return await _form_file(request, bytes(body)) if multipart else bytes(body)


async def _form_file(request: Request, body: bytes) -> bytes:
    """The one file field of a multipart form already read into ``body`` (parsed from memory
    by a request that replays it: the size limit was enforced while reading)."""

    async def replay() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(max_files=1, max_fields=20)
    except MultiPartException as exc:
        raise HTTPException(422, f"the multipart form cannot be read: {exc.message}") from None
    try:
        files = [v for v in form.values() if isinstance(v, UploadFile)]
        if not files:
            raise HTTPException(422, "the multipart form has no file field: send the image as one")
        upload = files[0]
        part_type = (upload.content_type or "").split(";")[0].strip().lower()
        if part_type and not part_type.startswith("image/") and part_type != OCTET_STREAM:
            raise HTTPException(
                415, f"the form's file {upload.filename!r} is {part_type}, not an image type"
            )
        data = await upload.read()
    finally:
        await form.close()
    if not data:
        raise HTTPException(422, "the form's file is empty: send an image file")
    return data
