"""The httpx client ``Veo`` makes for itself, and the cookie jar both clients keep.

Its connections read through a network backend that clamps every read's timeout to
the time the current call has left (``CALL_REMAINING``, set by ``Veo`` around each
call), so a server that trickles its answer, headers included, cannot hold a call past
its deadline: httpcore's read timeouts apply to each read, not to the whole answer.

``Veo`` sends through httpx's own transport: a pool of ``max_connections``
connections, every one kept alive (httpx keeps 20 idle by default, and closes and
reopens the rest under load). The client's request slots keep requests in flight at
or below that size, so none ever queues inside the pool. ``AsyncVeo``'s client, the
same thing over aiohttp, is in ``veo._aiohttp`` (imported only when one is made).

Users with their own TLS or proxy set-up build one of these with httpx's arguments
(``verify=``, ``cert=``, ``proxy=``, ``trust_env=``, ...) and pass it as
``http_client=``; it is then used as it is.
"""

from __future__ import annotations

import contextvars
import http.cookiejar
import os
import ssl
from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx

__all__ = [
    "CALL_REMAINING",
    "DEFAULT_MAX_CONNECTIONS",
    "MAX_COOKIES",
    "BoundedCookieJar",
    "DefaultHttpxClient",
    "default_options",
    "pool_limits",
    "proxy_problem",
]

PROXY_VARIABLES = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
)

MAX_COOKIES = 50  # what RFC 6265 asks a browser to keep, at least, per domain
DEFAULT_MAX_CONNECTIONS = 100  # httpx's own pool size


class BoundedCookieJar(http.cookiejar.CookieJar):
    """A cookie jar that keeps at most ``MAX_COOKIES``, dropping the first stored first.

    A server that set a new cookie with every answer would otherwise grow the jar, and
    the ``Cookie`` header of every request, without limit over a long batch. Setting a
    cookie again counts as storing it anew, as browsers do.
    """

    def __init__(self, policy: http.cookiejar.CookiePolicy | None = None) -> None:
        super().__init__(policy)
        self._stored: dict[tuple[str, str, str], None] = {}  # oldest first

    def set_cookie(self, cookie: http.cookiejar.Cookie) -> None:
        with self._cookies_lock:  # type: ignore[attr-defined]  # the jar's own RLock
            super().set_cookie(cookie)
            key = (cookie.domain, cookie.path, cookie.name)
            self._stored.pop(key, None)
            self._stored[key] = None
            while len(self) > MAX_COOKIES and self._stored:
                oldest = next(iter(self._stored))
                del self._stored[oldest]
                try:
                    self.clear(*oldest)
                except KeyError:  # expired or cleared meanwhile
                    continue


def default_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` for an httpx client, with ``veo``'s defaults where none is given.

    Every connection of the pool is kept alive (not 20 of them), and cookies go into
    a :class:`BoundedCookieJar` (cookies passed in are stored there).
    """
    options = dict(kwargs)
    options.setdefault(
        "limits",
        httpx.Limits(
            max_connections=DEFAULT_MAX_CONNECTIONS,
            max_keepalive_connections=DEFAULT_MAX_CONNECTIONS,
        ),
    )
    given = options.pop("cookies", None)
    if isinstance(given, http.cookiejar.CookieJar):
        options["cookies"] = given
    else:
        jar = BoundedCookieJar()
        httpx.Cookies(jar).update(given or {})
        options["cookies"] = jar
    return options


def pool_limits(size: int) -> httpx.Limits:
    """A pool of ``size`` connections, every one kept alive when idle."""
    return httpx.Limits(max_connections=size, max_keepalive_connections=size)


CALL_REMAINING: contextvars.ContextVar[Callable[[], float | None] | None] = contextvars.ContextVar(
    "veo_call_remaining", default=None
)
"""The seconds the current call has left (None: no deadline), while ``Veo`` sends it."""


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


def _with_deadlines(transport: httpx.HTTPTransport) -> httpx.HTTPTransport:
    # httpx builds its httpcore pool itself and takes no network backend; the pool
    # hands its backend to every connection it makes, so setting it here is enough.
    pool = transport._pool
    pool._network_backend = _DeadlineBackend(pool._network_backend)
    return transport


class DefaultHttpxClient(httpx.Client):
    """The ``httpx.Client`` a ``Veo`` makes; build one for your own TLS or proxy set-up.

    It takes ``httpx.Client``'s arguments. Where you give none, it keeps every one of
    its ``limits.max_connections`` connections alive (httpx keeps 20) and keeps at
    most ``MAX_COOKIES`` cookies. Its connections end every read by the deadline of
    the ``Veo`` call under way (see the module's docstring)::

        ca = ssl.create_default_context(cafile="corporate-ca.pem")
        http = veo.DefaultHttpxClient(verify=ca, proxy="http://proxy:3128")
        client = veo.Veo(http_client=http)  # you close http when you are done
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**default_options(kwargs))

    def _init_transport(self, *args: Any, **kwargs: Any) -> httpx.BaseTransport:
        transport = super()._init_transport(*args, **kwargs)
        if isinstance(transport, httpx.HTTPTransport):
            _with_deadlines(transport)
        return transport

    def _init_proxy_transport(self, *args: Any, **kwargs: Any) -> httpx.BaseTransport:
        transport = super()._init_proxy_transport(*args, **kwargs)
        if isinstance(transport, httpx.HTTPTransport):
            _with_deadlines(transport)
        return transport


def proxy_problem(error: Exception) -> str | None:
    """What is wrong with the proxy the environment names, when ``error`` came from it
    (an unknown scheme, SOCKS without its extra); None when no proxy is named."""
    named = [name for name in PROXY_VARIABLES if os.environ.get(name)]
    if not named:
        return None
    values = ", ".join(f"{name}={os.environ[name]!r}" for name in named)
    return (
        f"{named[0]}: the proxy the environment names cannot be used ({error}); "
        f"fix or unset it ({values})"
    )
