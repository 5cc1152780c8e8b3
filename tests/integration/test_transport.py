"""The transports the clients make, against real loopback servers: TLS with a custom CA,
proxies from the environment, hang-ups and garbage, and connections handed back."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

import veo

from ..helpers import ConnectProxy, HangUpServer, HoldingServer, garbage_server

KINDS = ["sync", "async"]
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy and no CA file from the machine running the tests."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[HoldingServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    with HoldingServer(hold=0, tls=context) as server:
        yield server


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def run(kind: str, call: Callable[[Any], Any], **options: Any) -> Any:
    """``call(client)`` on a new client of ``kind``; it and any ``http_client``, closed after."""
    options = {"api_key": "k", "retry": veo.RetryPolicy(initial_delay=0.01), **options}
    http = options.get("http_client")
    if kind == "sync":
        try:
            with veo.Veo(**options) as client:
                return call(client)
        finally:
            if http is not None:
                http.close()

    async def main() -> Any:
        try:
            async with veo.AsyncVeo(**options) as client:
                return await call(client)
        finally:
            if http is not None:
                await http.aclose()

    return asyncio.run(main())


def http_client(kind: str, **options: Any) -> Any:
    if kind == "sync":
        return veo.DefaultHttpxClient(**options)
    return veo.DefaultAioHttpClient(**options)


# --- TLS -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_service_signed_by_an_unknown_ca_is_refused_before_anything_is_sent(
    kind: str, tls_server: HoldingServer
) -> None:
    with pytest.raises(veo.APIConnectionError) as caught:
        run(kind, lambda client: client.create("a cat"), base_url=tls_server.url)

    assert caught.value.request_sent is False
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
    assert 0 == tls_server.requests


@pytest.mark.parametrize("kind", KINDS)
def test_a_custom_ca_given_as_verify_is_trusted(
    kind: str, tls_server: HoldingServer, ca_file: Path
) -> None:
    context = ssl.create_default_context(cafile=str(ca_file))
    http = http_client(kind, verify=context)

    task = run(kind, lambda client: client.get("t1"), base_url=tls_server.url, http_client=http)

    assert veo.TaskState.SUCCEEDED is task.state
    assert 1 == tls_server.requests


@pytest.mark.parametrize("kind", KINDS)
def test_a_custom_ca_named_by_ssl_cert_file_is_trusted(
    kind: str, tls_server: HoldingServer, ca_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))

    task = run(kind, lambda client: client.get("t1"), base_url=tls_server.url)

    assert veo.TaskState.SUCCEEDED is task.state


@pytest.mark.parametrize("kind", KINDS)
def test_a_client_made_after_ssl_cert_file_is_set_trusts_that_ca(
    kind: str, tls_server: HoldingServer, ca_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default clients share one TLS context per CA source: the one made first
    # (certifi's bundle) must not be the one used once SSL_CERT_FILE names another.
    with pytest.raises(veo.APIConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        run(kind, lambda client: client.get("t1"), base_url=tls_server.url)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))

    task = run(kind, lambda client: client.get("t1"), base_url=tls_server.url)

    assert veo.TaskState.SUCCEEDED is task.state


@pytest.mark.parametrize("kind", KINDS)
def test_a_ca_file_rewritten_in_place_is_read_again_by_the_next_client(
    kind: str,
    tls_server: HoldingServer,
    ca: trustme.CA,
    ca_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trustme.CA().cert_pem.write_to_path(str(ca_file))  # the wrong CA first
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    with pytest.raises(veo.APIConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        run(kind, lambda client: client.get("t1"), base_url=tls_server.url)

    ca.cert_pem.write_to_path(str(ca_file))  # fixed, under the same name
    task = run(kind, lambda client: client.get("t1"), base_url=tls_server.url)

    assert veo.TaskState.SUCCEEDED is task.state


def test_default_clients_load_the_ca_bundle_once_not_once_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # httpx loads the whole CA bundle for every client it makes (15-50 ms).
    veo._transport._verified_context.cache_clear()
    loads: list[object] = []
    real = ssl.create_default_context

    def counted(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        loads.append(kwargs.get("cafile"))
        return real(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counted)

    async def make_async() -> None:
        for _ in range(3):
            await veo.AsyncVeo("k").close()

    for _ in range(3):
        veo.Veo("k").close()
    asyncio.run(make_async())

    assert 1 == len(loads)


def test_a_client_with_its_own_verify_gets_no_shared_context(ca_file: Path) -> None:
    # verify= and cert= are the user's TLS set-up: nothing shared replaces them.
    assert veo._transport.default_options({"verify": False})["verify"] is False
    context = ssl.create_default_context(cafile=str(ca_file))
    assert context is veo._transport.default_options({"verify": context})["verify"]
    assert "verify" not in veo._transport.default_options({"cert": str(ca_file)})
    assert veo._transport.verified_context() is not veo._transport.verified_context(http2=True)


# --- proxies ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_https_goes_through_the_proxy_named_by_https_proxy(
    kind: str, tls_server: HoldingServer, ca_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    with ConnectProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)

        task = run(kind, lambda client: client.get("t1"), base_url=tls_server.url)

    assert veo.TaskState.SUCCEEDED is task.state
    assert [tls_server.url.removeprefix("https://")] == proxy.tunnels
    assert 1 == tls_server.requests


@pytest.mark.parametrize("kind", KINDS)
def test_a_host_named_in_no_proxy_is_reached_directly(
    kind: str, tls_server: HoldingServer, ca_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    with ConnectProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")

        run(kind, lambda client: client.get("t1"), base_url=tls_server.url)

    assert [] == proxy.tunnels
    assert 1 == tls_server.requests


@pytest.mark.parametrize("kind", KINDS)
def test_a_proxy_passed_to_the_default_client_is_used(
    kind: str, tls_server: HoldingServer, ca_file: Path
) -> None:
    with ConnectProxy() as proxy:
        http = http_client(
            kind, proxy=proxy.url, verify=ssl.create_default_context(cafile=str(ca_file))
        )
        run(kind, lambda client: client.get("t1"), base_url=tls_server.url, http_client=http)

    assert 1 == len(proxy.tunnels)


# --- what was sent, when the connection fails -------------------------------------------


@pytest.mark.parametrize("reset", [False, True], ids=["hang-up", "reset"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_create_answered_by_a_hang_up_is_not_retried_and_its_outcome_is_unknown(
    kind: str, reset: bool
) -> None:
    # The request went out whole; no status line came back. Retrying could buy a
    # second video, so the create is sent once and the error says the outcome is unknown.
    with HangUpServer(reset=reset) as server:
        with pytest.raises(veo.CreateOutcomeUnknownError) as caught:
            run(kind, lambda client: client.create("a cat"), base_url=server.url)

        assert 1 == server.requests
    cause = caught.value.cause
    assert isinstance(cause, veo.APIConnectionError)
    assert cause.request_sent is True


@pytest.mark.parametrize("kind", KINDS)
def test_a_get_answered_by_a_hang_up_is_retried(kind: str) -> None:
    retry = veo.RetryPolicy(max_retries=2, initial_delay=0.01)
    with HangUpServer() as server:
        with pytest.raises(veo.APIConnectionError):
            run(kind, lambda client: client.get("t1"), base_url=server.url, retry=retry)

        # aiohttp itself sends an idempotent request (GET, never the create's POST) a
        # second time when the server hangs up on it: each of the three attempts twice.
        assert (3 if kind == "sync" else 6) == server.requests


@pytest.mark.parametrize("kind", KINDS)
def test_an_answer_that_is_not_http_is_a_veo_error(kind: str) -> None:
    with garbage_server() as server:
        with pytest.raises(veo.CreateOutcomeUnknownError) as caught:
            run(kind, lambda client: client.create("a cat"), base_url=server.url)

        assert 1 == server.requests
    assert isinstance(caught.value, veo.VeoError)


# --- connections -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_connection_cut_at_the_deadline_is_handed_back(kind: str) -> None:
    # One connection allowed; three calls cut by their deadline while the server holds
    # the answer. Each cut hands the connection back, so the fourth call gets one.
    with HoldingServer(hold=1.0) as server:

        def calls(client: Any) -> Any:
            for _ in range(3):
                with pytest.raises(veo.APITimeoutError):
                    client.get("t1")
            server.hold = 0
            return client.get("t1")

        async def async_calls(client: Any) -> Any:
            for _ in range(3):
                with pytest.raises(veo.APITimeoutError):
                    await client.get("t1")
            server.hold = 0
            return await client.get("t1")

        options = {"base_url": server.url, "max_connections": 1, "deadline": 0.2}
        task = run(kind, calls if kind == "sync" else async_calls, **options)

    assert veo.TaskState.SUCCEEDED is task.state
    assert 4 == server.requests


def test_an_injected_async_client_is_used_as_it_is_and_left_open() -> None:
    seen: list[httpx.Request] = []

    def service(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "t1", "state": "succeeded"})

    http = httpx.AsyncClient(transport=httpx.MockTransport(service))

    async def main() -> veo.VideoTask:
        async with veo.AsyncVeo("k", base_url="https://api.test", http_client=http) as client:
            assert client._http is http
            return await client.get("t1")

    task = asyncio.run(main())

    assert "t1" == task.id
    assert 1 == len(seen)
    assert not http.is_closed
    asyncio.run(http.aclose())


@pytest.mark.parametrize("kind", KINDS)
def test_plain_http_to_loopback_never_goes_through_a_proxy(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Caught before: plain http:// is allowed to loopback because the key never leaves
    the machine, yet with HTTP_PROXY set the request, key and all, went to the proxy
    in clear text."""
    with HoldingServer(hold=0) as proxy, HoldingServer(hold=0) as service:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)

        run(kind, lambda client: client.get("t1"), base_url=service.url)

    assert (0, 1) == (proxy.requests, service.requests)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("variable", "value"),
    [("HTTPS_PROXY", "ftp://proxy.test:21"), ("ALL_PROXY", "gopher://proxy.test")],
)
def test_a_proxy_url_that_cannot_be_used_is_a_configuration_error_naming_the_variable(
    kind: str, variable: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Caught before: a raw ValueError from httpx (the CLI: exit 1, a traceback line)."""
    monkeypatch.setenv(variable, value)

    with pytest.raises(veo.ConfigurationError, match=f"^{variable}: ") as caught:
        run(kind, lambda client: None, base_url="https://api.test")

    assert value in str(caught.value)


def test_a_socks_proxy_is_a_configuration_error_for_the_async_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # aiohttp sends through http:// and https:// proxies only.
    monkeypatch.setenv("HTTPS_PROXY", "socks5://127.0.0.1:1080")

    with pytest.raises(veo.ConfigurationError, match=r"^HTTPS_PROXY: .*socks5"):
        run("async", lambda client: None, base_url="https://api.test")
