"""Serving under load (issue 13): `barenet serve` against a real load generator.

    python -m benchmarks.serving                  # 32 clients × 30 s, canvas PNGs then phone JPEGs
    python -m benchmarks.serving --smoke          # 4 clients × 3 s each (CI)
    python -m benchmarks.serving --load URL ...   # the load generator alone (what run() starts)

``run()`` starts ``barenet serve MODEL --workers N`` (one worker per core by default) on a free
port of 127.0.0.1 with a 784-128-10 model (random weights: the network's answer does not
change its cost), then starts the load generator in its own process: ``--clients``
concurrent asyncio clients (raw HTTP/1.1 on asyncio streams, one keep-alive connection each,
the request bytes built once: an HTTP client library such as httpx cost the load generator
about as much CPU per request as the server, on the same cores) that each post an image,
wait for the answer, and post the next, for ``--seconds``. Every answer that is not
200 with ten probabilities counts as an error. Reported: requests, errors, requests per
second, and the median and 99th percentile latency. Targets: canvas PNGs ≥ 300 requests/s
with p99 ≤ 200 ms and zero errors; 12 MP phone JPEGs ≥ 20 requests/s, zero errors.
Everything runs on this machine: the server's workers and the load generator share its cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

NAME = "serving"
ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = {
    # kind: (clients, seconds) in the full run; the smoke run uses 4 clients for 3 s each.
    "canvas": (32, 30.0),
    "phone": (32, 30.0),
}
TARGETS = {"canvas": (300.0, 200.0), "phone": (20.0, None)}  # (requests/s ≥, p99 ms ≤)
LABELS = {"canvas": "280×280 canvas PNGs", "phone": "12 MP phone JPEGs"}


def _payloads(kind: str) -> tuple[bytes, str]:
    from .preprocess import inputs

    return inputs()[kind], "image/png" if kind == "canvas" else "image/jpeg"


async def _load(url: str, kind: str, clients: int, seconds: float) -> dict[str, Any]:
    body, content_type = _payloads(kind)
    host, port = _host_port(url)
    request = (
        f"POST /api/predict HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    latencies: list[float] = []
    errors: list[str] = []

    async def one_client(
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None,
    ) -> None:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                if connection is None:
                    connection = await asyncio.open_connection(host, port)
                reader, writer = connection
                writer.write(request)
                status, answer, keep_alive = await _response(reader)
                ok = status == 200 and len(json.loads(answer)["probabilities"]) == 10
                if not ok:
                    errors.append(f"{status}: {answer[:200]!r}")
                if not keep_alive:
                    writer.close()
                    connection = None
            except (OSError, asyncio.IncompleteReadError, ValueError, KeyError) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                connection = None
            latencies.append(time.perf_counter() - start)
        if connection is not None:
            connection[1].close()

    # Connect one client at a time before the clock starts, as users arrive: 32 connections
    # opened in one burst are accepted in one batch by whichever worker wakes first (27 of
    # 32 went to one of two workers), and stay there.
    connections = []
    for _ in range(clients):
        connections.append(await asyncio.open_connection(host, port))
        await asyncio.sleep(0.01)
    started, cpu = time.perf_counter(), time.process_time()
    deadline = started + seconds
    await asyncio.gather(*(one_client(c) for c in connections))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    ms = np.array(latencies) * 1e3
    return {
        "kind": kind,
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": len(latencies),
        "errors": len(errors),
        "first_errors": errors[:5],
        "requests_per_second": len(latencies) / elapsed,
        "p50_ms": float(np.percentile(ms, 50)) if len(ms) else None,
        "p99_ms": float(np.percentile(ms, 99)) if len(ms) else None,
        "payload_bytes": len(body),
        "client_cpu_ms_per_request": 1e3 * cpu / max(1, len(latencies)),
    }


def _host_port(url: str) -> tuple[str, int]:
    found = re.fullmatch(r"http://([^/:]+):(\d+)/?", url)
    if not found:
        raise ValueError(f"expected http://HOST:PORT/, got {url!r}")
    return found.group(1), int(found.group(2))


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, whether the connection stays open) of one HTTP/1.1 answer with a
    Content-Length (what uvicorn sends for these)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
    fields = {k.strip().lower(): v.strip().lower() for k, v in headers.items()}
    answer = await reader.readexactly(int(fields.get("content-length", "0")))
    return status, answer, fields.get("connection") != "close"


def _serve(model: Path, workers: int) -> tuple[subprocess.Popen[str], str]:
    """`barenet serve` on a free port; the process and its URL."""
    serve = ["serve", str(model), "--port", "0", "--workers", str(workers)]
    process = subprocess.Popen(
        [sys.executable, "-m", "barenet", *serve],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        first = lines.get(timeout=120)
    except queue.Empty:
        process.kill()
        raise RuntimeError("barenet serve did not start within 120 s") from None
    found = re.search(r"http://127\.0\.0\.1:\d+/", first)
    if not found:
        process.kill()
        raise RuntimeError(f"barenet serve printed no URL: {first!r}")
    return process, found.group(0)


def _cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) used so far by process ``pid`` and its children (the
    workers), from /proc; None where there is no /proc."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total, found = 0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent
            total += int(fields[11]) + int(fields[12])  # utime, stime
            found = True
    return total / tick if found else None


def _wait_ready(url: str, workers: int, timeout: float = 120.0) -> None:
    """Until every worker answers (the port accepts as soon as it is bound)."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "api/health", timeout=10) as response:
                if response.status == 200:
                    time.sleep(1.0 * workers)  # the other workers finish loading alike
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def run(smoke: bool = False, workers: int | None = None) -> dict[str, Any]:
    """Serve, load, report; ``{"error": ...}`` if anything failed."""
    import barenet

    workers = workers or os.cpu_count() or 1
    results: dict[str, Any] = {"workers": workers, "cores": os.cpu_count(), "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "model.npz"
        barenet.Model.from_sizes(
            [784, 128, 10], activation="relu", output_activation="softmax", seed=0
        ).save(model)
        try:
            process, url = _serve(model, workers)
        except RuntimeError as exc:
            return {"error": str(exc)}
        try:
            _wait_ready(url, workers)
            for kind, (clients, seconds) in SCENARIOS.items():
                if smoke:
                    clients, seconds = 4, 3.0
                cmd = [sys.executable, "-m", "benchmarks.serving", "--load", url, "--kind", kind]
                cmd += ["--clients", str(clients), "--seconds", str(seconds)]
                print(f"[bench] serving {kind}: {clients} clients × {seconds:g} s", flush=True)
                server_cpu = _cpu_seconds(process.pid)
                proc = subprocess.run(
                    cmd, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 120
                )
                if proc.returncode != 0:
                    tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
                    return {**results, "error": f"load generator: {tail[0]}"}
                run = json.loads(proc.stdout.strip().splitlines()[-1])
                after = _cpu_seconds(process.pid)
                if server_cpu is not None and after is not None and run["requests"]:
                    run["server_cpu_ms_per_request"] = 1e3 * (after - server_cpu) / run["requests"]
                results["runs"].append(run)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            return {**results, "error": str(exc)}
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    return results


def targets(result: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    out: list[tuple[str, str, bool | None]] = []
    runs = {r["kind"]: r for r in result.get("runs", [])}
    for kind, (rps, p99) in TARGETS.items():
        target = f"serve {LABELS[kind]}: ≥ {rps:g} requests/s" + (
            f", p99 ≤ {p99:g} ms" if p99 else ""
        )
        target += ", zero errors"
        r = runs.get(kind)
        if r is None:
            out.append((target, "not run", None))
            continue
        measured = (
            f"{r['requests_per_second']:.0f} requests/s, p50 {r['p50_ms']:.0f} ms, "
            f"p99 {r['p99_ms']:.0f} ms, {r['errors']} errors of {r['requests']:,}"
        )
        met = r["errors"] == 0 and r["requests_per_second"] >= rps
        if p99 is not None:
            met = met and r["p99_ms"] <= p99
        out.append((target, measured, met))
    return out


def markdown(result: dict[str, Any]) -> str:
    lines = ["## Serving under load (issue 13)", ""]
    if "skipped" in result:
        return "\n".join([*lines, f"**skipped**: {result['skipped']}", ""])
    if "error" in result:
        lines += [f"**failed**: {result['error']}", ""]
    lines += [
        f"`barenet serve` with {result.get('workers')} worker processes (one per core) on "
        "127.0.0.1; the load generator (`benchmarks/serving.py`, raw HTTP/1.1 on asyncio "
        "streams, one keep-alive connection per client, the clients connecting one at a time "
        "before the clock starts) in its own process on the same "
        f"{result.get('cores')} cores. Each client posts an image, waits for the answer, "
        "posts the next.",
        "",
        "The last two columns are the CPU time the server's workers and the load generator "
        "spent per request: unlike wall-clock figures they do not grow while other processes "
        "hold the cores, so 1000 × cores / (server + client CPU ms) estimates the requests per "
        "second this machine would serve with nothing else running.",
        "",
        "| load | clients × seconds | requests | errors | requests/s | p50 | p99 | verdict "
        "| server CPU per request | load generator CPU per request |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    runs = {r["kind"]: r for r in result.get("runs", [])}
    for (_, _, met), kind in zip(targets(result), TARGETS, strict=True):
        r = runs.get(kind)
        if r is None:
            continue
        verdict = "not measured" if met is None else ("**met**" if met else "**missed**")
        lines.append(
            f"| {LABELS[kind]} ({r['payload_bytes'] / 1e3:,.0f} KB) | {r['clients']} × "
            f"{r['seconds']:g} s | {r['requests']:,} | {r['errors']} | "
            f"{r['requests_per_second']:.0f} | {r['p50_ms']:.0f} ms | {r['p99_ms']:.0f} ms | "
            f"{verdict} | {_ms(r.get('server_cpu_ms_per_request'))} | "
            f"{_ms(r.get('client_cpu_ms_per_request'))} |"
        )
    for r in result.get("runs", []):
        for error in r.get("first_errors", []):
            lines.append(f"- error ({r['kind']}): `{error}`")
    return "\n".join([*lines, ""])


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} ms"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="4 clients × 3 s per load")
    parser.add_argument("--workers", type=int, default=None, help="default: one per core")
    parser.add_argument("--load", metavar="URL", help="only generate load against URL")
    parser.add_argument("--kind", choices=sorted(SCENARIOS), default="canvas")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    if args.load:
        try:
            from uvloop import run as run_loop  # the event loop uvicorn uses too
        except ImportError:
            run_loop = asyncio.run
        print(json.dumps(run_loop(_load(args.load, args.kind, args.clients, args.seconds))))
        return 0
    result = run(args.smoke, args.workers)
    print(markdown(result))
    failed = "error" in result or any(r["errors"] for r in result.get("runs", []))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
