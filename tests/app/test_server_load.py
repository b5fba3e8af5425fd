"""`barenet serve --workers 2` as a real server in a subprocess: multipart uploads as curl -F
sends them, slow and idle clients that must not stop others being served, and a few seconds
of the serving benchmark's load generator (zero errors)."""

from __future__ import annotations

import json
import resource
import select
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ._drawing import draw_digit, phone_photo
from ._serve import serve_process

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 2.0  # the server's --timeout: a client has this long to send a request head


@pytest.fixture(scope="module")
def server(untrained, tmp_path_factory):
    """(URL, port) of `barenet serve MODEL --workers 2 --timeout 2` in a subprocess."""
    path, _ = untrained
    log_path = tmp_path_factory.mktemp("serve") / "serve.log"
    options = ["--workers", "2", "--timeout", str(TIMEOUT)]
    with serve_process(path, options, log_path, wait=120) as (url, first):
        assert "2 workers" in first
        # The port listens at once; wait until the workers answer.
        for _ in range(240):
            try:
                if httpx.get(url + "api/health", timeout=10).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        yield url, int(url.rsplit(":", 1)[1].rstrip("/"))


def seven_png(tmp_path: Path) -> Path:
    path = tmp_path / "seven.png"
    draw_digit("7").save(path)
    return path


def assert_served(url: str) -> None:
    response = httpx.post(
        url + "api/predict",
        content=draw_digit_png(),
        headers={"Content-Type": "image/png"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["probabilities"]) == 10


def draw_digit_png() -> bytes:
    import io

    buffer = io.BytesIO()
    draw_digit("7").save(buffer, "PNG")
    return buffer.getvalue()


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """Whether the server closes ``sock`` within ``within`` seconds (recv gives b'' or a
    reset)."""
    ready, _, _ = select.select([sock], [], [], within)
    if not ready:
        return False
    try:
        return sock.recv(65536) == b""
    except ConnectionResetError:
        return True


def test_multipart_upload_like_curl_f(server, tmp_path):
    url, _ = server
    photo = tmp_path / "IMG_1234.jpg"
    photo.write_bytes(phone_photo("7", size=(4000, 3000)))  # a 12 MP photo, sent as it is
    with photo.open("rb") as handle:
        response = httpx.post(
            url + "api/predict", files={"file": (photo.name, handle, "image/jpeg")}, timeout=60
        )
    assert response.status_code == 200, response.text
    data = response.json()
    assert len(data["probabilities"]) == 10 and len(data["image"]) == 28
    curl = shutil.which("curl")
    if curl is not None:  # and by curl itself, as the docs show
        out = subprocess.run(
            [curl, "-sS", "-F", f"file=@{seven_png(tmp_path)}", url + "api/predict"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert len(json.loads(out.stdout)["probabilities"]) == 10


def test_a_slowloris_trickle_is_cut_off_and_others_are_served(server):
    url, port = server
    slow = socket.create_connection(("127.0.0.1", port))
    try:
        head = b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
        start = time.monotonic()
        closed = False
        for byte in head:
            try:
                slow.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if closed_by_server(slow, 0.25):
                closed = True
                break
            if len(head) // 2 == head.index(byte):
                assert_served(url)  # while the trickle goes on, others are answered
        # 62 bytes at one per 0.25 s would take 15 s; the server cut it off after ~2 s.
        assert closed, "the server kept the trickling connection open"
        assert time.monotonic() - start < len(head) * 0.25
    finally:
        slow.close()
    assert_served(url)


def test_a_thousand_idle_connections_do_not_stop_others(server):
    url, port = server
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    idle = []
    try:
        for _ in range(1000):
            idle.append(socket.create_connection(("127.0.0.1", port)))
        assert_served(url)
        # Each idle connection is closed by the server once its head deadline passes.
        deadline = time.monotonic() + 60
        open_ones = list(idle)
        while open_ones and time.monotonic() < deadline:
            ready, _, _ = select.select(open_ones, [], [], 1.0)
            for sock in ready:
                try:
                    gone = sock.recv(1) == b""
                except ConnectionResetError:
                    gone = True
                if gone:
                    open_ones.remove(sock)
        assert open_ones == [], f"{len(open_ones)} idle connections still open"
    finally:
        for sock in idle:
            sock.close()
    assert_served(url)


def test_an_upload_that_trickles_in_too_slowly_gets_408(server):
    url, port = server
    body = draw_digit_png()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:50]
        )
        answer = b""
        for k in range(50, len(body)):  # one byte every 0.2 s: far slower than 2 s allows
            ready, _, _ = select.select([sock], [], [], 0.2)
            if ready:
                answer = sock.recv(65536)
                break
            sock.sendall(body[k : k + 1])
        # The head and the body of the answer may come in separate packets.
        sock.settimeout(30)
        while b"}" not in answer:
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"took longer than 2 s" in answer
    assert_served(url)


def test_load_smoke_zero_errors(server):
    """The serving benchmark's load generator, in its own process, for a few seconds."""
    url, _ = server
    load = ["--load", url, "--kind", "canvas", "--clients", "8", "--seconds", "3"]
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.serving", *load],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["requests"] > 0
    assert result["errors"] == 0, result["first_errors"]
