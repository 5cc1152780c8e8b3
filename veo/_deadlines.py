"""Reads and writes that end by the current ``Veo`` call's deadline.

httpx builds its httpcore pool itself and takes no network backend, so the client
``Veo`` makes (``veo/_transport.py``) swaps one in: httpcore's own sync backend, each
connection it makes a :class:`_DeadlineStream` whose every read and write has its
timeout cut to what the call has left (``CALL_REMAINING``). httpcore's read timeout
applies to each read, so without this a server trickling its answer one byte at a time,
headers included, could hold a call long past its deadline. Imported when that client
is made: httpcore is not needed to ``import veo``.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from veo._transport import CALL_REMAINING

__all__ = ["with_deadlines"]


def _clamped(timeout: float | None, late: type[Exception]) -> float | None:
    """``timeout``, cut to what the current call has left; ``late`` when nothing is."""
    remaining = CALL_REMAINING.get()
    left = None if remaining is None else remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise late("the call's deadline passed (the deadline= option)")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the current call's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clamped(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _clamped(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamped(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own sync backend, its connections made :class:`_DeadlineStream`."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamped(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        timeout = _clamped(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def with_deadlines(transport: httpx.HTTPTransport) -> httpx.HTTPTransport:
    # httpx builds its httpcore pool itself and takes no network backend; the pool
    # hands its backend to every connection it makes, so setting it here is enough.
    pool = transport._pool
    pool._network_backend = _DeadlineBackend(pool._network_backend)
    return transport
