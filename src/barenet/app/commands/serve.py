"""`barenet serve MODEL`: a page to draw digits on and watch the network read them."""

from __future__ import annotations

import argparse
from typing import Any

from ._types import int_in


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "serve",
        help="draw digits in the browser and watch the network read them",
        description="Serve a page where you draw a digit with the mouse, a pen or a finger "
        "and see the prediction, the ten probabilities and the 28×28 image the network saw, "
        "updated as you draw. The JSON API is documented at /docs.",
    )
    p.add_argument("model", help="a model file (model.npz) written by barenet")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s, reachable from this machine only)",
    )
    p.add_argument(
        "--port",
        type=int_in(0, 65535, "a port number 0-65535"),
        default=8000,
        help="port (default: %(default)s; 0 picks a free one)",
    )
    p.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from barenet.app.preprocess import load_digit_model
    from barenet.app.web import create_app

    model = load_digit_model(args.model)
    app = create_app(model, model_name=str(args.model))
    with _listen(args.host, args.port) as sock:
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        print(f"serving {args.model} at http://{shown}:{port}/ (Ctrl-C to stop)", flush=True)
        uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
    return 0


def _listen(host: str, port: int) -> Any:
    """A socket bound to (host, port), so a busy port is one clear error before uvicorn
    starts, and port 0 can report the free port the system chose."""
    import errno
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise OSError(f"cannot listen on {host!r}: {exc.strerror}") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        hint = "; choose another with --port" if exc.errno == errno.EADDRINUSE else ""
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}{hint}") from None
    return sock
