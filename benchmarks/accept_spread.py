"""How keep-alive connections spread over `barenet serve`'s worker processes (issue 13).

    python -m benchmarks.accept_spread            # 8 trials of each way, 32 connections each

Not a section of `make bench`: the measurement behind the choice of how the workers share
the port, in docs/predict.md. A connection stays with the worker that accepted it, so the
split decides how long each client queues. Two processes, each an asyncio event loop (as a
uvicorn worker is) that accepts connections and holds them open, get 32 connections, either
in one burst or one every 10 ms (as the serving benchmark's clients connect, and users
arrive), through:

- one listening socket shared by both (what uvicorn's supervisor does): whichever process
  is waiting in its event loop when a connection arrives accepts it;
- one socket per process with SO_REUSEPORT: the kernel picks the socket from a hash of the
  connection's addresses and ports, whatever the processes are doing.

Printed: the larger of the two shares in each trial (16 is an even split).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import time
from multiprocessing.synchronize import Event

PROCESSES = 2
CONNECTIONS = 32
TRIALS = 8


def _accept(listener: socket.socket | int, counts: list[int], index: int, ready: Event) -> None:
    """Accept connections on ``listener`` (a socket, or the port to bind one with
    SO_REUSEPORT) for a few seconds, counting them in ``counts[index]``."""

    async def main() -> None:
        if isinstance(listener, int):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind(("127.0.0.1", listener))
            sock.listen(2048)
        else:
            sock = listener
        sock.setblocking(False)

        async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            counts[index] += 1
            await reader.read()

        server = await asyncio.start_server(hold, sock=sock)
        ready.set()
        async with server:
            await asyncio.sleep(5)

    asyncio.run(main())


def trial(reuse_port: bool, one_at_a_time: bool) -> list[int]:
    """Connections accepted by each process, largest first."""
    context = multiprocessing.get_context("fork")
    counts = context.Array("i", PROCESSES)
    if reuse_port:
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        listener: socket.socket | int = port
    else:
        shared = socket.socket()
        shared.bind(("127.0.0.1", 0))
        shared.listen(2048)
        port, listener = shared.getsockname()[1], shared
    readies = [context.Event() for _ in range(PROCESSES)]
    processes = [
        context.Process(target=_accept, args=(listener, counts, i, readies[i]))
        for i in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    for ready in readies:
        ready.wait(30)
    time.sleep(0.3)
    clients = []
    for _ in range(CONNECTIONS):
        clients.append(socket.create_connection(("127.0.0.1", port)))
        if one_at_a_time:
            time.sleep(0.01)
    time.sleep(0.5)
    split = sorted(counts[:], reverse=True)
    for client in clients:
        client.close()
    for process in processes:
        process.terminate()
        process.join()
    if isinstance(listener, socket.socket):
        listener.close()
    return split


def main() -> int:
    for reuse_port in (False, True):
        for one_at_a_time in (False, True):
            shares = [trial(reuse_port, one_at_a_time)[0] for _ in range(TRIALS)]
            how = "SO_REUSEPORT, a socket each" if reuse_port else "one shared socket"
            arrival = "one every 10 ms" if one_at_a_time else "in one burst"
            print(f"{how}, connections {arrival}: larger share {shares} of {CONNECTIONS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
