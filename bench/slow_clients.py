"""Slow clients, as an attacker would write them: shared by the abuse tests and ``bench.bench_abuse``."""

from __future__ import annotations

import socket
import time

PARTIAL_REQUESTS = (
    b"GET /v1/hea",  # stops in the request line
    b"POST /v1/translate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty",  # in the headers
    b"POST /v1/translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
    b'{"text": "Ein',  # in a promised body
)


def slow_connection(port: int, kind: int) -> socket.socket:
    """A connection to 127.0.0.1:``port`` that stops part way (``kind`` picks where, cycling)."""
    conn = socket.create_connection(("127.0.0.1", port), timeout=30)
    conn.sendall(PARTIAL_REQUESTS[kind % len(PARTIAL_REQUESTS)])
    return conn


def closed_by_server(conn: socket.socket, deadline: float) -> bool:
    """Whether the server closes ``conn`` (EOF, reset, or an error answer then EOF) before ``deadline``
    (a ``time.monotonic`` value)."""
    conn.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        while conn.recv(4096):
            pass
        return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
