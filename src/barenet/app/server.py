"""What runs inside each worker process of `barenet serve`.

The workers are spawned, not forked, so each loads the model from its file itself: what
they need travels in one environment variable, ``BARENET_SERVE`` (JSON: model, max_body,
timeout, threads), read by ``worker_app``, the app factory uvicorn calls in each worker.

Against slow and idle clients (``SlowClientGuard``): a connection has ``timeout`` seconds to
send a whole request head, from when it opens and again from the end of each answer (a
slowloris trickle, or a connection opened and left idle, is closed; uvicorn alone would
wait for ever); the upload then has as long again to arrive (``web.create_app``); an idle
keep-alive connection is closed after ``KEEP_ALIVE`` seconds. Each connection costs one
coroutine and one file descriptor, so a thousand idle ones hold nobody else up.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

ENVIRONMENT = "BARENET_SERVE"
KEEP_ALIVE = 5
DEFAULT_TIMEOUT = 10.0
SWITCH_INTERVAL = 0.0005


def _settings() -> dict[str, Any]:
    return dict(json.loads(os.environ.get(ENVIRONMENT, "{}")))


def worker_app() -> FastAPI:
    """The app of one worker process, configured by ``$BARENET_SERVE``."""
    from threadpoolctl import threadpool_limits

    from barenet.app.preprocess import load_digit_model
    from barenet.app.web import create_app

    settings = _settings()
    # The event loop shares the GIL with the thread that preprocesses and predicts; by default
    # Python hands it over every 5 ms, so reading a request or writing an answer can wait that
    # long behind an image. Every 0.5 ms: measured 10-20 % more canvas requests per second,
    # lower latency, and no more CPU per request.
    sys.setswitchinterval(SWITCH_INTERVAL)
    if settings.get("threads"):
        threadpool_limits(limits=settings["threads"], user_api="blas")
    model = load_digit_model(settings["model"])
    return create_app(
        model,
        model_name=settings["model"],
        max_body=settings["max_body"],
        upload_timeout=settings.get("timeout", DEFAULT_TIMEOUT),
    )


class SlowClientGuard(HttpToolsProtocol):  # type: ignore[misc]
    """uvicorn's httptools protocol (the HTTP parser in C; h11, in pure Python, cost more CPU
    per request than the whole of a canvas's preprocessing) with a deadline for each request
    head (see the module doc)."""

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self.timeout = float(_settings().get("timeout", DEFAULT_TIMEOUT))
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(self.timeout, self._expire)

    def _expire(self) -> None:
        # A request under way got its head in time; its upload has its own deadline.
        waiting = self.cycle is None or self.cycle.response_complete
        if waiting and not self.transport.is_closing():
            self.transport.close()
