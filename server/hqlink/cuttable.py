"""An HTTP session whose requests in flight another thread can cut: a worker's stop (foundation/workers.py)
must not wait out a 20 s long-poll to HQ or a 30 s post to a slow one.

`requests.Session.close()` does not do it: a connection in use is out of the pool it closes, and the
thread waiting on it waits for its timeout. Here every connection the session opens is remembered
(urllib3's documented `ConnectionCls` and `PoolManager.pool_classes_by_scheme`), and `cut()` shuts
their sockets down, which wakes a thread blocked reading one at once.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import requests
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class CuttableSession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._cut = False
        remember = self._remember

        class Plain(HTTPConnection):
            def connect(self) -> None:
                super().connect()
                remember(self.sock)

        class Secure(HTTPSConnection):
            def connect(self) -> None:
                super().connect()
                remember(self.sock)

        pools = {"http": type("Pool", (HTTPConnectionPool,), {"ConnectionCls": Plain}),
                 "https": type("SecurePool", (HTTPSConnectionPool,), {"ConnectionCls": Secure})}
        for adapter in self.adapters.values():
            adapter.poolmanager.pool_classes_by_scheme = pools

    def _remember(self, sock: Any) -> None:
        with self._lock:
            self._sockets = {s for s in self._sockets if s.fileno() != -1}  # closed ones go
            self._sockets.add(sock)
            cut = self._cut
        if cut:  # opened after cut(): cut at once
            _shut(sock)

    def cut(self) -> None:
        """Ends every request in flight (they raise ConnectionError) and any later one."""
        with self._lock:
            self._cut, sockets = True, list(self._sockets)
        for sock in sockets:
            _shut(sock)
        self.close()


def _shut(sock: Any) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed
        pass
