"""Cookies the service sets are sent back, once, and cannot pile up."""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.cookiejar

import httpx

import veo
from veo._transport import MAX_COOKIES, BoundedCookieJar

from ..helpers import HoldingServer


def test_a_cookie_the_service_sets_is_sent_back_by_the_sync_client() -> None:
    with (
        HoldingServer(hold=0, set_cookie="route=b7; Path=/") as server,
        veo.Veo("k", base_url=server.url) as client,
    ):
        client.get("t1")
        server.set_cookie = None  # answers that set no cookie leave the jar as it is
        client.get("t1")
        client.get("t1")

    assert [None, "route=b7", "route=b7"] == server.cookies


def test_a_cookie_the_service_sets_is_sent_back_by_the_async_client() -> None:
    with HoldingServer(hold=0, set_cookie="route=b7; Path=/") as server:

        async def three_gets() -> None:
            async with veo.AsyncVeo("k", base_url=server.url) as client:
                await client.get("t1")
                server.set_cookie = None
                await client.get("t1")
                await client.get("t1")

        asyncio.run(three_gets())

    assert [None, "route=b7", "route=b7"] == server.cookies


def test_cookies_given_to_the_default_clients_are_kept() -> None:
    with veo.DefaultHttpxClient(cookies={"a": "1"}) as http:
        assert {"a": "1"} == dict(http.cookies)
        http.cookies = {"b": "2"}
        assert {"b": "2"} == dict(http.cookies)
    assert {"a": "1"} == dict(veo.DefaultAioHttpClient(cookies={"a": "1"}).cookies)


def test_an_injected_client_keeps_its_own_cookie_jar() -> None:
    http = httpx.Client(cookies={"mine": "1"})
    jar = http.cookies
    with veo.Veo("k", base_url="https://api.test", http_client=http):
        pass
    assert jar is http.cookies
    assert {"mine": "1"} == dict(http.cookies)


def test_a_server_setting_a_new_cookie_every_time_cannot_grow_the_jar_without_limit() -> None:
    with (
        HoldingServer(hold=0, set_cookie="c{n}=x; Path=/") as server,
        veo.Veo("k", base_url=server.url) as client,
    ):
        for _ in range(MAX_COOKIES + 30):
            client.get("t1")

    sent = (server.cookies[-1] or "").split("; ")
    assert MAX_COOKIES == len(sent)
    assert f"c{MAX_COOKIES + 29}=x" in sent  # the newest are kept, the oldest dropped
    assert "c1=x" not in sent


def _cookie(name: str) -> http.cookiejar.Cookie:
    return http.cookiejar.Cookie(
        0, name, "x", None, False, "api.test", False, False, "/", True, False,
        None, False, None, None, {},
    )  # fmt: skip


def test_cookies_the_service_deletes_leave_room_and_threads_keep_the_bound() -> None:
    jar = BoundedCookieJar()
    for n in range(MAX_COOKIES):
        jar.set_cookie(_cookie(f"old{n}"))
    for n in range(10):  # what a Max-Age=0 answer does
        jar.clear("api.test", "/", f"old{n}")

    def store(thread: int) -> None:
        for n in range(200):
            jar.set_cookie(_cookie(f"t{thread}-{n}"))

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(store, range(8)))
    jar.set_cookie(_cookie("newest"))

    names = {cookie.name for cookie in jar}
    assert MAX_COOKIES == len(names)
    assert "newest" in names
    assert not any(name.startswith("old") for name in names)
