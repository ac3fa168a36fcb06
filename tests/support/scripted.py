"""A raw HTTP server on 127.0.0.1 that answers on a script: a head, a byte dripped at a set
pace, then a reset, a close or silence, at a set time after the request. Slow-loris in
either direction, and what a client reads when its time limit cuts off an answer however
the connection ends."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Scripted:
    """Sends `head`, then a byte of `drip` every `pause` seconds (or nothing) until `after`
    seconds from the request (math.inf: for as long as the client listens), then resets
    (`end="reset"`), closes or stays silent for 5 s."""

    def __init__(
        self,
        head: bytes,
        drip: bytes = b"",
        end: str = "close",
        after: float = 0.6,
        pause: float = 0.05,
    ) -> None:
        self.head, self.drip, self.end, self.after, self.pause = head, drip, end, after, pause
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.hostport = f"127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                started = time.monotonic()
                conn.sendall(self.head)
                sent = 0
                while time.monotonic() - started < self.after:
                    if self.drip:
                        conn.sendall(self.drip[sent % len(self.drip)].to_bytes(1, "big"))
                        sent += 1
                    time.sleep(self.pause)
                if self.end == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                elif self.end == "silent":
                    time.sleep(5)
            except OSError:
                pass

    def url(self) -> str:
        return f"http://{self.hostport}/"

    def close(self) -> None:
        self.sock.close()


@contextmanager
def scripted_servers() -> Iterator[list[Scripted]]:
    """A list to append servers to; each is closed at the end."""
    servers: list[Scripted] = []
    try:
        yield servers
    finally:
        for server in servers:
            server.close()
