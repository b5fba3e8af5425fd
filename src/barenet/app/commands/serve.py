"""`barenet serve MODEL`: a page to draw digits on, or upload a photo, and watch the network
read them; N worker processes share the port.

Each worker is a uvicorn server in its own process (uvicorn's supervisor restarts one that
dies); ``barenet.app.server`` is what runs inside it.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from ._types import int_in, positive_float, positive_int


def _size(text: str) -> int:
    """Bytes from "20000000", "20MB", "512KB" or "1.5MB" (powers of 1000)."""
    units = {"KB": 1000, "MB": 1000**2, "GB": 1000**3, "B": 1}
    upper = text.strip().upper()
    factor = next((f for unit, f in units.items() if upper.endswith(unit)), 1)
    number = upper.rstrip("KMGB").strip() if factor != 1 or upper.endswith("B") else upper
    try:
        value = float(number) * factor
    except ValueError:
        value = 0
    if not value >= 1:
        raise argparse.ArgumentTypeError(
            f"expected a size in bytes such as 20000000, 20MB or 512KB, got {text!r}"
        )
    return int(value)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "serve",
        help="draw digits in the browser and watch the network read them",
        description="Serve a page where you draw a digit with the mouse, a pen or a finger, "
        "or upload a photo of one, and see the prediction, the ten probabilities, the 28×28 "
        "image the network saw and a warning when it is probably not a single digit. "
        "The JSON API is documented at /docs.",
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
    p.add_argument(
        "--workers",
        type=positive_int,
        default=os.cpu_count() or 1,
        help="worker processes sharing the port (default: one per core, here %(default)s)",
    )
    p.add_argument(
        "--max-upload",
        type=_size,
        default="20MB",
        metavar="SIZE",
        help="largest image upload, e.g. 20MB or 512KB (default: 20MB, any phone photo)",
    )
    p.add_argument(
        "--timeout",
        type=positive_float,
        default=10.0,
        metavar="SECONDS",
        help="a client has this long to send a request's headers, and as long again for the "
        "upload, before its connection is closed (default: %(default)s)",
    )
    p.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from barenet.app import server
    from barenet.app.commands.predict import check_input_contract
    from barenet.app.preprocess import load_digit_model

    load_digit_model(args.model)  # a bad model file is one clear error, before any worker
    check_input_contract(args.model)
    _raise_file_limit()
    os.environ[server.ENVIRONMENT] = json.dumps(
        {
            "model": str(args.model),
            "max_body": args.max_upload,
            "timeout": args.timeout,
            "threads": args.threads,
        }
    )
    config = uvicorn.Config(
        "barenet.app.server:worker_app",
        factory=True,
        workers=args.workers,
        log_level="warning",
        http="barenet.app.server:SlowClientGuard",
        timeout_keep_alive=server.KEEP_ALIVE,
    )
    with _listen(args.host, args.port) as sock:
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        workers = f"{args.workers} worker{'s' if args.workers > 1 else ''}"
        print(
            f"serving {args.model} at http://{shown}:{port}/ ({workers}; Ctrl-C to stop)",
            flush=True,
        )
        if args.workers > 1:
            Multiprocess(config, sockets=[sock]).run()
        else:
            uvicorn.Server(config).run(sockets=[sock])
    return 0


def _raise_file_limit() -> None:
    """Let each worker hold as many connections as the system allows (idle clients cost a
    file descriptor each until their timeout)."""
    import contextlib
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = 65536 if hard == resource.RLIM_INFINITY else hard
        with contextlib.suppress(ValueError, OSError):  # else keep the limit we have
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, target), hard))


def _listen(host: str, port: int) -> Any:
    """A socket bound to (host, port) and listening, so a busy port is one clear error before
    uvicorn starts, and port 0 can report the free port the system chose."""
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
    # Listening now, so clients that come while the workers start wait in the queue instead
    # of being refused.
    sock.listen(2048)
    return sock
