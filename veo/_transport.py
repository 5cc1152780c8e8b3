"""The httpx client ``Veo`` makes for itself, and the cookie jar both clients keep.

Its connections read through a network backend that clamps every read's timeout to
the time the current call has left (``CALL_REMAINING``, set by ``Veo`` around each
call; ``veo/_deadlines.py``), so a server that trickles its answer, headers included,
cannot hold a call past its deadline: httpcore's read timeouts apply to each read, not
to the whole answer.

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

import contextlib
import contextvars
import functools
import http.cookiejar
import ipaddress
import itertools
import os
import ssl  # httpx has imported it already
import threading
import urllib.request
from collections.abc import Callable
from typing import Any

import httpx

from veo._errors import ConfigurationError

__all__ = [
    "CALL_REMAINING",
    "DEFAULT_MAX_CONNECTIONS",
    "MAX_COOKIES",
    "BoundedCookieJar",
    "Cookies",
    "DefaultHttpxClient",
    "OwnCookies",
    "default_options",
    "pool_limits",
    "proxy_problem",
    "verified_context",
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
        # Our own lock, for the order of storing only: the jar's is private, and
        # extract_cookies holds it while it calls set_cookie, so the jar's own calls
        # (its set_cookie and clear) are made outside ours, never under it.
        self._order_lock = threading.Lock()

    def set_cookie(self, cookie: http.cookiejar.Cookie) -> None:
        super().set_cookie(cookie)
        key = (cookie.domain, cookie.path, cookie.name)
        with self._order_lock:
            self._stored.pop(key, None)
            self._stored[key] = None
            evicted = list(itertools.islice(self._stored, max(0, len(self._stored) - MAX_COOKIES)))
        for oldest in evicted:
            with contextlib.suppress(KeyError):  # expired or cleared meanwhile
                self.clear(*oldest)

    def clear(
        self, domain: str | None = None, path: str | None = None, name: str | None = None
    ) -> None:
        """Same as ``CookieJar.clear``; the cookies cleared leave the storing order too
        (the jar clears expired and deleted cookies through it)."""
        try:
            super().clear(domain, path, name)
        finally:
            with self._order_lock:
                for key in [
                    key
                    for key in self._stored
                    if domain in (None, key[0])
                    and path in (None, key[1])
                    and name in (None, key[2])
                ]:
                    del self._stored[key]


def pool_limits(size: int) -> httpx.Limits:
    """A pool of ``size`` connections, every one kept alive when idle."""
    return httpx.Limits(max_connections=size, max_keepalive_connections=size)


def default_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` for an httpx client, with ``veo``'s defaults where none is given:
    every connection kept alive, not 20 of them, and the process's one TLS context for
    the CA source in use (:func:`verified_context`)."""
    options = {"limits": pool_limits(DEFAULT_MAX_CONNECTIONS), **kwargs}
    if "verify" not in options and not options.get("cert"):
        options["verify"] = verified_context(
            trust_env=options.get("trust_env", True), http2=options.get("http2", False)
        )
    return options


def verified_context(*, trust_env: bool = True, http2: bool = False) -> ssl.SSLContext:
    """What httpx makes for ``verify=True``, made once per process and CA source.

    httpx builds a new context for every client, loading the whole CA bundle each
    time (15-50 ms of CPU); aiohttp keeps one for all its sessions. The CA source is
    read as httpx reads it: ``SSL_CERT_FILE``, else ``SSL_CERT_DIR`` (when
    ``trust_env``), else certifi's bundle. A client made after either variable
    changes, or after the file or directory it names changes, gets a context for
    what is there now. httpcore sets a context's ALPN protocols on every connection,
    so clients with and without HTTP/2 share none.
    """
    environ = os.environ if trust_env else {}
    if environ.get("SSL_CERT_FILE"):
        cafile, capath = environ["SSL_CERT_FILE"], None
    elif environ.get("SSL_CERT_DIR"):
        cafile, capath = None, environ["SSL_CERT_DIR"]
    else:
        import certifi

        cafile, capath = certifi.where(), None
    try:
        stat = os.stat(cafile or capath or "")
        version = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    except OSError:
        version = None  # ssl names the problem when it loads the source
    if capath is not None and not os.path.isdir(capath):  # ssl would look there only later
        raise ConfigurationError(
            f"SSL_CERT_DIR={capath!r}: not a directory of CA certificates; point it at one, "
            f"or unset it"
        )
    try:
        return _verified_context(cafile, capath, version, http2)
    except OSError as exc:  # ssl.SSLError too: the source holds no certificate
        reason = exc.strerror if not isinstance(exc, ssl.SSLError) and exc.strerror else exc
        named = "SSL_CERT_FILE" if cafile == environ.get("SSL_CERT_FILE") else "SSL_CERT_DIR"
        where = f"{named}={cafile or capath!r}" if environ.get(named) else repr(cafile or capath)
        raise ConfigurationError(
            f"{where}: cannot load the CA certificates to trust from it ({reason}); "
            f"point it at a PEM file (or a directory of them), or unset it"
        ) from None


@functools.lru_cache(maxsize=8)
def _verified_context(
    cafile: str | None, capath: str | None, version: object, http2: bool
) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cafile, capath=capath)


class Cookies(httpx.Cookies):
    """httpx's cookies in a :class:`BoundedCookieJar`, minus the work for answers that
    set none.

    httpx wraps every response and its request in ``urllib`` stand-ins to look for
    cookies (about 13 µs an answer), and the service's answers set none; one that does
    is extracted as usual. Cookies passed in are stored in the bounded jar.
    """

    def __init__(self, cookies: Any = None) -> None:
        if isinstance(cookies, BoundedCookieJar):
            super().__init__(cookies)
            return
        super().__init__(BoundedCookieJar())
        if cookies:
            self.update(cookies)

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


class OwnCookies:
    """The ``cookies`` of both default clients: a :class:`Cookies`, however set.

    httpx reaches a client's cookies only through its ``cookies`` property (the jar
    given at construction, or one set later), so overriding it is enough.
    """

    _cookies: httpx.Cookies

    def __init__(self, *, cookies: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cookies = Cookies(cookies)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._cookies = Cookies(cookies)


CALL_REMAINING: contextvars.ContextVar[Callable[[], float | None] | None] = contextvars.ContextVar(
    "veo_call_remaining", default=None
)
"""The seconds the current call has left (None: no deadline), while ``Veo`` sends it."""


class DefaultHttpxClient(OwnCookies, httpx.Client):
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
        from veo._deadlines import DeadlineTransport  # httpcore: imported when first used

        super().__init__(**with_transports(default_options(kwargs), DeadlineTransport))


TRANSPORT_OPTIONS = ("verify", "cert", "trust_env", "http1", "http2", "limits")
"""The client options that a transport takes (httpx passes them to the transports it
makes)."""


def with_transports(options: dict[str, Any], make: Callable[..., Any]) -> dict[str, Any]:
    """``options`` for an httpx client, with its transports made by ``make`` (called
    with the ``TRANSPORT_OPTIONS`` given, and ``proxy=`` for a proxy's): the default
    one as ``transport``, and one for each proxy (``proxy=``, else the environment's,
    where ``trust_env``) in ``mounts``, with the caller's own ``mounts`` last.

    A client given a ``transport`` reads no proxy from the environment (httpx's rule);
    so ``proxy=`` and the environment are read here, as httpx reads them.
    """
    if options.get("transport") is not None:
        return options
    settings = {name: options[name] for name in TRANSPORT_OPTIONS if name in options}
    proxy = options.pop("proxy", None)
    if proxy is not None:
        proxies: dict[str, Any] = {"all://": proxy}
    else:
        proxies = environment_proxies() if options.get("trust_env", True) else {}
    mounts = {
        pattern: None
        if url is None
        else make(**settings, proxy=url if isinstance(url, httpx.Proxy) else httpx.Proxy(url))
        for pattern, url in proxies.items()
    }
    return {
        **options,
        "transport": make(**settings),
        "mounts": {**mounts, **(options.get("mounts") or {})},
    }


def environment_proxies() -> dict[str, str | None]:
    """The proxies the environment names (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``,
    ``NO_PROXY``), as httpx reads them: URL patterns to a proxy's URL, or to None where
    ``NO_PROXY`` says to go direct."""
    found = urllib.request.getproxies()
    proxies: dict[str, str | None] = {}
    for scheme in ("http", "https", "all"):
        url = found.get(scheme)
        if url:
            proxies[f"{scheme}://"] = url if "://" in url else f"http://{url}"
    for host in (host.strip() for host in found.get("no", "").split(",")):
        if host == "*":  # no proxy for anything
            return {}
        if not host:
            continue
        if "://" in host:
            proxies[host] = None
        elif _is_ip(host, ipaddress.IPv4Network) or host.lower() == "localhost":
            proxies[f"all://{host}"] = None
        elif _is_ip(host, ipaddress.IPv6Network):
            proxies[f"all://[{host}]"] = None
        else:  # a domain, and its subdomains
            proxies[f"all://*{host}"] = None
    return proxies


def _is_ip(host: str, network: type[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        network(host.split("/")[0])
    except ValueError:
        return False
    return True


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
