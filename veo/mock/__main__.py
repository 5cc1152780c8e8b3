"""``python -m veo.mock``: run the mock server in the foreground.

``veo mock`` (the ``veo`` command, ``cli`` extra) takes the same options and calls
:func:`serve`; this module's own command line needs only the ``mock`` extra.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from veo.mock._faults import Fault, parse_rule

__all__ = ["FAULT_SYNTAX", "HELP", "main", "parser", "serve"]

FAULT_SYNTAX = (
    "FAULT is NAME[,route=create|get|video][,times=N][,p=PROB][,status=CODE]"
    f"[,retry-after=S][,latency=S]; NAME is one of: {', '.join(f.value for f in Fault)}. "
    "Per request, send the same text in a 'Prefer: fault=...' header."
)
HELP = {
    "host": "Interface to bind.",
    "port": "Port (0: any free one).",
    "api_key": "Key to accept (repeatable; default mock-key).",
    "fault": "Inject a fault into every matching request (repeatable; FAULT below).",
    "seed": "Seed for probabilistic faults.",
    "pace": "Advance tasks per status poll (polls) or with the clock (time).",
    "pending": "Polls or seconds a task spends pending.",
    "running": "Polls or seconds a task spends running.",
    "json": "Print the URL and key as one JSON line.",
    "replay": "Answer in the shapes of a recording (veo check --save, veo generate --record).",
    "allow_drift": "Serve a recording that contradicts the spec (else refused, naming each field).",
    "speed": "Replay tasks this many times faster than recorded.",
    "fetch_images": (
        "Fetch each create's image URLs, as the service does: a task whose image does not "
        "answer 200 with a PNG, JPEG or WebP fails, saying which."
    ),
}
"""Each option's help, shared by both command lines."""


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m veo.mock``."""
    p = argparse.ArgumentParser(
        prog="python -m veo.mock",
        description="Run the Duomi Veo mock server.",
        epilog=FAULT_SYNTAX,
    )
    p.add_argument("--host", default="127.0.0.1", help=HELP["host"] + " (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help=HELP["port"] + " (default 8000)")
    p.add_argument(
        "--api-key", action="append", dest="api_keys", metavar="KEY", help=HELP["api_key"]
    )
    p.add_argument("--fault", action="append", default=[], metavar="FAULT", help=HELP["fault"])
    p.add_argument("--seed", type=int, default=0, help=HELP["seed"] + " (default 0)")
    p.add_argument(
        "--pace", choices=("polls", "time"), default="polls", help=HELP["pace"] + " (default polls)"
    )
    p.add_argument("--pending", type=float, default=1, help=HELP["pending"] + " (default 1)")
    p.add_argument("--running", type=float, default=3, help=HELP["running"] + " (default 3)")
    p.add_argument("--json", action="store_true", dest="as_json", help=HELP["json"])
    p.add_argument("--replay", metavar="DIR", help=HELP["replay"])
    p.add_argument("--allow-drift", action="store_true", help=HELP["allow_drift"])
    p.add_argument("--speed", type=float, default=1.0, help=HELP["speed"] + " (default 1)")
    p.add_argument("--fetch-images", action="store_true", help=HELP["fetch_images"])
    return p


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, then :func:`serve`; without the mock extra, one line naming the
    ``pip install`` that brings it, exit 2."""
    arguments = vars(parser().parse_args(argv))
    try:
        return serve(**arguments)
    except ModuleNotFoundError as exc:
        if "pip install" not in str(exc):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    api_keys: Sequence[str] | None = None,
    fault: Sequence[str] = (),
    seed: int = 0,
    pace: str = "polls",
    pending: float = 1,
    running: float = 3,
    as_json: bool = False,
    replay: str | None = None,
    allow_drift: bool = False,
    speed: float = 1.0,
    fetch_images: bool = False,
) -> int:
    """Print the URL and key and serve until interrupted; the exit status."""
    try:
        rules = [parse_rule(text) for text in fault]
    except ValueError as exc:
        print(f"error: --fault: {exc}", file=sys.stderr)
        return 2
    from veo._recording import RecordingError
    from veo.mock import DEFAULT_API_KEY, Lifecycle, MockServer, MockSpecError

    keys = list(api_keys or [DEFAULT_API_KEY])
    try:
        server = MockServer(
            api_key=keys[0],
            lifecycle=Lifecycle(pace=pace, pending_steps=pending, running_steps=running),
            seed=seed,
            host=host,
            port=port,
            replay=replay,
            allow_drift=allow_drift,
            speed=speed,
            fetch_images=fetch_images,
        )
    except (MockSpecError, RecordingError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if server.app.replay is not None:
        for line in server.app.replay.summary():
            print(line, file=sys.stderr)
    server.app.state.api_keys = frozenset(keys)
    for rule in rules:
        server.faults.add(rule)
    with server:
        if as_json:
            print(json.dumps({"url": server.url, "api_key": server.api_key}), flush=True)
        else:
            print(f"Duomi Veo mock server on {server.url}", flush=True)
            print(f"API key: {server.api_key}  (raw or 'Bearer {server.api_key}')", flush=True)
            print(
                f"try: DUOMI_BASE_URL={server.url} DUOMI_API_KEY={server.api_key} veo generate ..."
            )
        try:
            while server.wait(0.5):
                pass
            return 1  # the server stopped by itself
        except KeyboardInterrupt:
            print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
