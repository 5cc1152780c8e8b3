"""_pool: which connection each request borrows, and that every one comes back."""

from __future__ import annotations

import asyncio
import socket
import time

import httpx
import pytest

import veo
from veo._pool import _AsyncTransport, _Lender, _Transport

from ..helpers import HoldingServer, TrickleServer

API = (b"https", b"api.test", None)
CDN = (b"https", b"cdn.test", None)


def lender(size: int) -> _Lender[object]:
    return _Lender(size, object)


def test_a_request_takes_the_connection_last_used_for_its_host() -> None:
    pool = lender(3)
    first, second = pool.take(API), pool.take(API)
    pool.give_back(API, first)
    pool.give_back(API, second)

    assert second is pool.take(API)
    assert first is pool.take(API)


def test_new_connections_are_made_up_to_the_size_only() -> None:
    pool = lender(2)
    a, b = pool.take(API), pool.take(API)
    pool.give_back(CDN, a)

    assert a is not b
    assert 2 == len(pool.made)
    assert a is pool.take(CDN)
    assert 2 == len(pool.made)


def test_at_the_size_a_request_takes_the_one_idle_longest_for_another_host() -> None:
    pool = lender(3)
    a, b, c = pool.take(CDN), pool.take(CDN), pool.take(API)
    pool.give_back(CDN, a)
    pool.give_back(API, c)
    pool.give_back(CDN, b)

    assert a is pool.take((b"https", b"other.test", None))
    assert b is pool.take(CDN)
    assert c is pool.take(API)
    assert 3 == len(pool.made)


def test_with_every_connection_busy_one_more_is_made_rather_than_a_request_refused() -> None:
    pool = lender(1)
    pool.take(API)

    pool.take(API)

    assert 2 == len(pool.made)


def test_a_lent_connection_is_handed_back_once_however_often_its_answer_is_closed() -> None:
    pool = lender(2)
    lent, give_back = pool.lend(httpx.Request("GET", "https://api.test/v1"))
    give_back()
    give_back()

    assert lent is pool.take(API)
    assert lent is not pool.take(API)  # not idle twice, so not lent twice
    assert 2 == len(pool.made)


def test_a_connection_idle_past_its_expiry_is_handed_out_to_be_closed() -> None:
    now = [0.0]
    pool: _Lender[object] = _Lender(3, object, expiry=5.0, clock=lambda: now[0])
    old, recent = pool.take(CDN), pool.take(API)
    pool.give_back(CDN, old)
    now[0] = 3.0
    pool.give_back(API, recent)
    now[0] = 5.5

    assert [old] == pool.stale()
    assert [] == pool.stale()
    assert [recent] == pool.made
    assert recent is pool.take(API)
    assert pool.take(CDN) not in (old, recent)


def test_an_idle_connection_to_another_host_is_closed_after_its_expiry() -> None:
    # One video from a CDN, then only API calls: the CDN connection, never reused,
    # is closed once it would have expired, not left open until the client closes.
    transport = _Transport(2, expiry=0.1)

    def fetch(url: str) -> None:
        transport.handle_request(httpx.Request("GET", url)).read()  # read, then closed

    with HoldingServer(hold=0) as cdn, HoldingServer(hold=0) as api:
        fetch(cdn.url)
        fetch(api.url)
        assert 1 == cdn.open
        time.sleep(0.2)

        fetch(api.url)
        time.sleep(0.2)  # the server's thread sees the connection end

        assert 0 == cdn.open
        transport.close()


def refused_url() -> str:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_a_refused_request_hands_its_connection_back() -> None:
    transport, url = _Transport(1), refused_url()
    for _ in range(3):
        with pytest.raises(httpx.ConnectError):
            transport.handle_request(httpx.Request("GET", url))

    assert 1 == len(transport.lender.made)
    transport.close()


def test_a_refused_async_request_hands_its_connection_back() -> None:
    transport, url = _AsyncTransport(1), refused_url()

    async def three() -> None:
        for _ in range(3):
            with pytest.raises(httpx.ConnectError):
                await transport.handle_async_request(httpx.Request("GET", url))
        await transport.aclose()

    asyncio.run(three())

    assert 1 == len(transport.lender.made)


def test_a_call_cut_at_its_deadline_mid_answer_hands_its_connection_back() -> None:
    # AsyncVeo's hard deadline cancels whatever is under way: here, reading a body
    # that trickles in. Each time, the one connection allowed comes back.
    async def cut_twice() -> _AsyncTransport:
        with TrickleServer(interval=0.05, body_size=100) as server:
            async with veo.AsyncVeo(
                "k", base_url=server.url, max_connections=1, deadline=0.2
            ) as client:
                for _ in range(2):
                    with pytest.raises(veo.APITimeoutError):
                        await client.get("t1")
                transport = client._http._transport
                assert isinstance(transport, _AsyncTransport)
                return transport

    transport = asyncio.run(cut_twice())

    assert 1 == len(transport.lender.made)
