"""The ``httpx.AsyncClient`` an ``AsyncVeo`` makes: httpx's API over aiohttp's pool.

``httpx-aiohttp`` (the async backend openai-python and anthropic-sdk-python ship)
gives httpx an aiohttp transport. Three things are added here:

- the aiohttp session keeps every one of ``limits.max_connections`` connections
  (its connector's ``limit``) and no cookies of its own: httpx's cookie jar (a
  ``BoundedCookieJar``) already sends and keeps them, and two jars would send each
  cookie twice;
- aiohttp's errors become the httpx errors that say whether the request may have
  been sent. ``httpx-aiohttp`` 0.2 turns every ``aiohttp.ClientConnectionError``,
  a reset or a server hanging up mid-answer included, into ``httpx.ConnectTimeout``
  ("nothing was sent"), and lets a malformed answer's ``ClientResponseError`` out
  as it is: the first would retry a create that may have bought a video;
- the same transport is made for each proxy, given or from the environment
  (``veo._transport.with_transports``), through httpx's public ``transport=`` and
  ``mounts=``.

Imported only when an ``AsyncVeo`` makes its client, or when a user asks for
``veo.DefaultAioHttpClient``: aiohttp takes a few hundred milliseconds to import.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
import httpx_aiohttp

from veo._transport import OwnCookies, default_options, with_transports

__all__ = ["DefaultAioHttpClient"]


def httpx_error(cause: aiohttp.ClientError) -> httpx.TransportError:
    """The httpx error for one of aiohttp's; only the first four mean "not sent"."""
    message = f"{type(cause).__name__}: {cause}"
    error: httpx.TransportError
    if isinstance(cause, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError):
        error = httpx.ProxyError(message)
    elif isinstance(cause, aiohttp.ClientConnectorError):  # refused, DNS, TLS handshake
        error = httpx.ConnectError(message)
    elif isinstance(cause, aiohttp.ConnectionTimeoutError):
        error = httpx.ConnectTimeout(message)
    elif isinstance(cause, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        error = httpx.UnsupportedProtocol(message)
    elif isinstance(cause, aiohttp.ServerTimeoutError):
        error = httpx.ReadTimeout(message)
    elif isinstance(cause, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError):
        error = httpx.ReadError(message)  # a connection that was there: maybe sent
    else:
        error = httpx.RemoteProtocolError(message)  # a malformed answer, and the rest
    return error


class _HttpxErrors:
    """A context that raises aiohttp's errors as :func:`httpx_error` says (a class, not
    a generator: it runs twice for every request)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, aiohttp.ClientError):
            raise httpx_error(exc) from exc
        if isinstance(exc, httpx.TransportError) and isinstance(exc.__cause__, aiohttp.ClientError):
            raise httpx_error(exc.__cause__) from exc.__cause__


MAX_HEADER_BYTES = 100 * 1024
"""The longest header line (or status line) ``AsyncVeo`` reads: what ``Veo`` reads,
whose httpcore takes a head of up to 100 KiB in all. aiohttp's own default, 8 KiB,
turned a paid create answered with one longer header (a gateway's trace, a cookie)
into an unknown outcome."""

_httpx_errors = _HttpxErrors()


class _Body(httpx.AsyncByteStream):
    """A response body whose errors are mapped as the request's are."""

    def __init__(self, stream: httpx.AsyncByteStream) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _httpx_errors:
            async for chunk in self._stream:
                yield chunk

    async def aclose(self) -> None:
        with _httpx_errors:
            await self._stream.aclose()


class _Transport(httpx_aiohttp.AiohttpTransport):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The session comes from the transport's documented client= factory, made in
        # the event loop of the first request: no cookies of its own (httpx's jar
        # keeps them), and no connection limit where httpx has none.
        super().__init__(*args, **{**kwargs, "client": self._session})

    def _session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self.limits.max_connections or 0,  # 0: no limit, as httpx's None
            keepalive_timeout=self.limits.keepalive_expiry,
            ssl=self.ssl_context,
        )
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            max_line_size=MAX_HEADER_BYTES,
            max_field_size=MAX_HEADER_BYTES,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with _httpx_errors:
            response = await super().handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Body(response.stream)
        return response


class DefaultAioHttpClient(OwnCookies, httpx.AsyncClient):
    """The ``httpx.AsyncClient`` an ``AsyncVeo`` makes; build one for your own TLS or proxy.

    ``veo.DefaultHttpxClient``'s twin for ``AsyncVeo``: it takes ``httpx.AsyncClient``'s
    arguments (``verify=``, ``cert=``, ``proxy=``, ``trust_env=``, ``limits=``, ...),
    keeps the same defaults, and sends over aiohttp (http:// and https:// proxies only).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**with_transports(default_options(kwargs), _transport))


def _transport(*, proxy: httpx.Proxy | None = None, **options: Any) -> _Transport:
    """The aiohttp transport, for a client or for one of its proxies."""
    if proxy is not None and proxy.url.scheme not in ("http", "https"):
        raise ValueError(
            f"aiohttp sends through http:// and https:// proxies only, not {proxy.url.scheme}://"
        )
    return _Transport(proxy=proxy, **options)
