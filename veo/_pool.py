"""The httpx clients ``veo`` makes for itself: one connection per request slot.

A client lets at most ``max_connections`` requests into httpx at once (its slots). Its
pool here is that many single-connection httpx transports, each lent to one request
at a time and handed back when the response is closed, most recently used first and
to the same host where one is idle. httpcore 1.0's own pool, at that size, scans every
connection at every step (a ``poll`` syscall for each idle one) and, with fewer idle
connections kept than it holds, closes and reopens connections under load (a new TCP,
and against the service a new TLS, connection per request). Each transport here keeps
httpcore's handling of its one connection: keep-alive, expiry, reconnecting, errors;
one idle past the keep-alive expiry is closed at the next request.

Their cookie jar skips httpx's extraction for answers that set no cookie, and keeps at
most ``MAX_COOKIES`` (``_Cookies``). Where the environment names a proxy, they are
httpx's own pool (``_through_httpx``). A client passed in as ``http_client=`` is used
as it is.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Generic, TypeVar

import httpx

__all__ = ["AsyncPool", "Pool"]

T = TypeVar("T")
Origin = tuple[bytes, bytes, int | None]
KEEPALIVE_EXPIRY = 5.0  # httpx's default: an idle connection older than this is closed
MAX_COOKIES = 50  # what RFC 6265 asks a browser to keep, at least, per domain
HTTPX_KEEPALIVE = 20  # httpx's default max_keepalive_connections


class _Cookies(httpx.Cookies):
    """httpx's cookie jar, minus the work for answers that set no cookie, and bounded.

    A server that set a new cookie with every answer would otherwise grow the jar, and
    the ``Cookie`` header of every request, without limit over a long batch. Past
    ``MAX_COOKIES`` the ones stored first are dropped, as browsers do.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        # httpx wraps every response and its request in urllib stand-ins to look for
        # cookies, and the service's answers set none. One that does is extracted.
        if "set-cookie" not in response.headers:
            return
        super().extract_cookies(response)
        excess = len(self.jar) - MAX_COOKIES
        if excess > 0:
            for cookie in list(self.jar)[:excess]:
                self.jar.clear(cookie.domain, cookie.path, cookie.name)


class _Lender(Generic[T]):
    """Which transport each request borrows: the I/O-free part, shared by both pools.

    Idle transports are kept per origin, most recently used last. A request takes the
    last idle one of its origin (its connection is the likeliest to be open), else a
    new one while fewer than ``size`` exist, else the one idle longest for another
    origin (its connection is replaced). The client's slots keep requests in flight
    to ``size``, so one is always idle or makeable; should that ever not hold, a
    transport beyond ``size`` is made rather than a request refused.

    A transport idle for longer than ``expiry`` (httpx's keep-alive expiry) is handed
    out by ``stale`` to be closed and is forgotten: its connection would not be reused
    anyway, and one left to the bottom of the pile would stay open until the client
    closes.
    """

    def __init__(
        self,
        size: int,
        make: Callable[[], T],
        *,
        expiry: float = KEEPALIVE_EXPIRY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._size = size
        self._make = make
        self._expiry = expiry
        self._clock = clock
        self._idle: dict[Origin, list[T]] = {}
        self._idle_since: dict[T, tuple[Origin, float]] = {}  # every idle one, oldest first
        self.made: list[T] = []
        self._lock = threading.Lock()  # the sync client is shared between threads

    def take(self, origin: Origin) -> T:
        with self._lock:
            same = self._idle.get(origin)
            if same:
                transport = same.pop()
                del self._idle_since[transport]
                return transport
            if len(self.made) < self._size or not self._idle_since:
                transport = self._make()
                self.made.append(transport)
                return transport
            transport = next(iter(self._idle_since))
            self._forget_idle(transport)
            return transport

    def give_back(self, origin: Origin, transport: T) -> None:
        with self._lock:
            self._idle.setdefault(origin, []).append(transport)
            self._idle_since[transport] = (origin, self._clock())

    def lend(self, request: httpx.Request) -> tuple[T, Callable[[], None]]:
        """A transport for ``request``, and the function that hands it back (once,
        however often it is called)."""
        origin = (request.url.raw_scheme, request.url.raw_host, request.url.port)
        transport = self.take(origin)
        given_back = False

        def give_back() -> None:
            nonlocal given_back
            if not given_back:
                given_back = True
                self.give_back(origin, transport)

        return transport, give_back

    def stale(self) -> list[T]:
        """The transports idle for longer than ``expiry``, now forgotten: close them."""
        with self._lock:
            if not self._idle_since:
                return []
            cutoff = self._clock() - self._expiry
            stale = []
            for transport, (_, since) in self._idle_since.items():  # oldest first
                if since > cutoff:
                    break
                stale.append(transport)
            for transport in stale:
                self._forget_idle(transport)
                self.made.remove(transport)
            return stale

    def _forget_idle(self, transport: T) -> None:
        origin, _ = self._idle_since.pop(transport)
        self._idle[origin].remove(transport)  # the oldest of its origin: found first


def _one_connection() -> httpx.Limits:
    return httpx.Limits(max_connections=1, max_keepalive_connections=1)


def _through_httpx(size: int) -> dict[str, Any] | None:
    """httpx's own pool, where the environment names a proxy (``HTTPS_PROXY``, ...).

    httpx honours those only when it makes its transports itself, so there the
    client does, sized to the slots (no request queues inside the pool).
    """
    proxies = urllib.request.getproxies()  # what httpx reads, the same way
    if not any(proxies.get(scheme) for scheme in ("http", "https", "all")):
        return None
    keepalive = min(size, HTTPX_KEEPALIVE)
    return {"limits": httpx.Limits(max_connections=size, max_keepalive_connections=keepalive)}


class _GivenBack(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that hands its transport back when it is closed."""

    def __init__(self, stream: Any, give_back: Callable[[], None]) -> None:
        self._stream = stream  # the sync or the async kind, read as what it is
        self._give_back = give_back

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._stream:
            yield part

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            self._give_back()

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            self._give_back()


class _Transport(httpx.BaseTransport):
    """``size`` single-connection ``httpx.HTTPTransport``s, one lent per request."""

    def __init__(self, size: int, *, expiry: float = KEEPALIVE_EXPIRY) -> None:
        context = httpx.create_ssl_context()  # once, not once per connection
        self.lender = _Lender(
            size,
            lambda: httpx.HTTPTransport(verify=context, limits=_one_connection()),
            expiry=expiry,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for stale in self.lender.stale():
            stale.close()
        transport, give_back = self.lender.lend(request)
        try:
            response = transport.handle_request(request)
        except BaseException:
            give_back()
            raise
        response.stream = _GivenBack(response.stream, give_back)
        return response

    def close(self) -> None:
        for transport in self.lender.made:
            transport.close()


class _AsyncTransport(httpx.AsyncBaseTransport):
    """Same as ``_Transport``, but async."""

    def __init__(self, size: int, *, expiry: float = KEEPALIVE_EXPIRY) -> None:
        context = httpx.create_ssl_context()
        self.lender = _Lender(
            size,
            lambda: httpx.AsyncHTTPTransport(verify=context, limits=_one_connection()),
            expiry=expiry,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for stale in self.lender.stale():
            await stale.aclose()
        transport, give_back = self.lender.lend(request)
        try:
            response = await transport.handle_async_request(request)
        except BaseException:
            give_back()
            raise
        response.stream = _GivenBack(response.stream, give_back)
        return response

    async def aclose(self) -> None:
        for transport in self.lender.made:
            await transport.aclose()


class _OwnCookies:
    """The ``cookies`` property of both pools: a ``_Cookies`` jar.

    httpx reaches a client's cookies only through its public ``cookies`` property, so
    overriding it is enough.
    """

    def __init__(self, *, cookies: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._veo_cookies = _Cookies(cookies)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._veo_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._veo_cookies = _Cookies(cookies)


class Pool(_OwnCookies, httpx.Client):
    """The ``httpx.Client`` a ``Veo`` makes: ``size`` connections, one per slot."""

    def __init__(self, size: int, **kwargs: Any) -> None:
        own = _through_httpx(size) or {"transport": _Transport(size)}
        super().__init__(**own, **kwargs)


class AsyncPool(_OwnCookies, httpx.AsyncClient):
    """The ``httpx.AsyncClient`` an ``AsyncVeo`` makes: same as ``Pool``, but async."""

    def __init__(self, size: int, **kwargs: Any) -> None:
        own = _through_httpx(size) or {"transport": _AsyncTransport(size)}
        super().__init__(**own, **kwargs)
