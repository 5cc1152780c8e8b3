"""Reads and writes that end by the current ``Veo`` call's deadline.

``DeadlineTransport`` is the transport of the client ``Veo`` makes
(``veo/_transport.py``): httpx's ``HTTPTransport`` in the small, on an httpcore pool
given a network backend through httpcore's public API
(``ConnectionPool(network_backend=...)``; httpx's own transport takes none). The backend
is httpcore's sync one, each connection it makes a :class:`_DeadlineStream` whose every
read and write has its timeout cut to what the call has left (``CALL_REMAINING``).
httpcore's read timeout applies to each read, so without this a server trickling its
answer one byte at a time, headers included, could hold a call long past its deadline.
Imported when that client is made: httpcore is not needed to ``import veo``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import ssl
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

from veo._transport import CALL_REMAINING, DEFAULT_MAX_CONNECTIONS, pool_limits

__all__ = ["DeadlineTransport"]


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


_CONNECTION = httpcore.ConnectionPool | httpcore.HTTPProxy | httpcore.SOCKSProxy


class DeadlineTransport(httpx.BaseTransport):
    """An ``httpx.HTTPTransport`` whose connections end every read and write by the
    current ``Veo`` call's deadline. Takes ``HTTPTransport``'s main arguments."""

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | str | bool = True,
        cert: Any = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits | None = None,
        proxy: httpx.Proxy | None = None,
    ) -> None:
        limits = limits or pool_limits(DEFAULT_MAX_CONNECTIONS)
        context = httpx.create_ssl_context(verify=verify, cert=cert, trust_env=trust_env)
        pool: dict[str, Any] = {
            "ssl_context": context,
            "max_connections": limits.max_connections,
            "max_keepalive_connections": limits.max_keepalive_connections,
            "keepalive_expiry": limits.keepalive_expiry,
            "http1": http1,
            "http2": http2,
            "network_backend": _DeadlineBackend(httpcore.SyncBackend()),
        }
        self._pool: _CONNECTION
        if proxy is None:
            self._pool = httpcore.ConnectionPool(**pool)
        elif proxy.url.scheme in ("http", "https"):
            self._pool = httpcore.HTTPProxy(
                proxy_url=_core_url(proxy.url),
                proxy_auth=proxy.raw_auth,
                proxy_headers=proxy.headers.raw,
                proxy_ssl_context=proxy.ssl_context,
                **pool,
            )
        elif proxy.url.scheme in ("socks5", "socks5h"):
            if importlib.util.find_spec("socksio") is None:  # httpcore needs it for SOCKS
                raise ImportError(
                    "Using SOCKS proxy, but the 'socksio' package is not installed: "
                    "pip install 'httpx[socks]'",
                    name="socksio",
                )
            self._pool = httpcore.SOCKSProxy(
                proxy_url=_core_url(proxy.url), proxy_auth=proxy.raw_auth, **pool
            )
        else:
            raise ValueError(
                f"Proxy protocol must be either 'http', 'https', 'socks5', or 'socks5h', "
                f"but got {proxy.url.scheme!r}."
            )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        sent = httpcore.Request(
            method=request.method,
            url=_core_url(request.url),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _httpx_errors():
            answer = self._pool.handle_request(sent)
        assert isinstance(answer.stream, Iterable)
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_Body(answer.stream),
            extensions=answer.extensions,
        )

    def close(self) -> None:
        with _httpx_errors():
            self._pool.close()


def _core_url(url: httpx.URL) -> httpcore.URL:
    return httpcore.URL(
        scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
    )


@contextlib.contextmanager
def _httpx_errors() -> Iterator[None]:
    """httpcore's errors as httpx's of the same name (httpx's transport does the same)."""
    try:
        yield
    except httpcore.TimeoutException as exc:
        raise _same_in_httpx(exc, httpx.TimeoutException) from exc
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.ProxyError) as exc:
        raise _same_in_httpx(exc, httpx.TransportError) from exc
    except httpcore.UnsupportedProtocol as exc:
        raise httpx.UnsupportedProtocol(str(exc)) from exc


def _same_in_httpx(error: Exception, fallback: type[httpx.TransportError]) -> Exception:
    for kind in type(error).__mro__:
        mapped = getattr(httpx, kind.__name__, None)
        if isinstance(mapped, type) and issubclass(mapped, httpx.TransportError):
            return mapped(str(error))
    return fallback(str(error))


class _Body(httpx.SyncByteStream):
    """An answer's body, its errors mapped as the request's are."""

    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _httpx_errors():
            yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            with _httpx_errors():
                close()
