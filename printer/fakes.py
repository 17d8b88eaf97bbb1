"""A pretend network printer (raw TCP, like port 9100) for tests and demos without hardware.

It records what each connection sent (one connection = one job, as the print queue
connects per ticket) and answers DLE EOT status queries that come before the job data,
from its `paper` and `cover_open` settings. It can be taken offline and back.
"""

from __future__ import annotations

import socket
import threading
import time

DLE_EOT = b"\x10\x04"


class FakeNetworkPrinter:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, answers_status: bool = True) -> None:
        self.host, self.port = host, port
        self.answers_status = answers_status
        self.paper = "ok"  # ok | near_end | out
        self.cover_open = False
        self.jobs: list[bytes] = []
        self.queries: list[int] = []
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    # -- switching it on and off -------------------------------------------------------
    def start(self) -> FakeNetworkPrinter:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(4)
        sock.settimeout(0.2)
        self.port = sock.getsockname()[1]
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> FakeNetworkPrinter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for_jobs(self, count: int, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.jobs) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    # -- the printer's side ------------------------------------------------------------
    def _status_byte(self, n: int) -> int:
        byte = 0x12
        if n == 1 and (self.cover_open or self.paper == "out"):
            byte |= 0x08  # off-line
        elif n == 2 and self.cover_open:
            byte |= 0x04
        elif n == 2 and self.paper == "out":
            byte |= 0x20
        elif n == 4 and self.paper == "out":
            byte |= 0x6C
        elif n == 4 and self.paper == "near_end":
            byte |= 0x0C
        return byte

    def _serve(self, sock: socket.socket) -> None:
        while self._sock is sock:
            try:
                conn, _ = sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                self._handle(conn)

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        data = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except (TimeoutError, OSError):
                break
            if not chunk:
                break
            data += chunk
            # Status queries come alone, before the ticket; inside raster data DLE EOT is just dots.
            while data[:2] == DLE_EOT and len(data) >= 3:
                n = data[2]
                data = data[3:]
                with self._lock:
                    self.queries.append(n)
                if self.answers_status:
                    conn.sendall(bytes([self._status_byte(n)]))
        if data:
            with self._changed:
                self.jobs.append(data)
                self._changed.notify_all()
