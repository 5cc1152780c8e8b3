"""``python -m veo.mock``: run the mock server in the foreground."""

from __future__ import annotations

import argparse
import json
import sys

from veo.mock._faults import Fault, parse_rule


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m veo.mock`` (and ``veo mock``)."""
    faults = ", ".join(f.value for f in Fault)
    p = argparse.ArgumentParser(
        prog="python -m veo.mock",
        description="Run the Duomi Veo mock server.",
        epilog=(
            "FAULT is NAME[,route=create|get|video][,times=N][,p=PROB][,status=CODE]"
            f"[,retry-after=S][,latency=S]; NAME is one of: {faults}. "
            "Per request, send the same text in a 'Prefer: fault=...' header."
        ),
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 = any free)")
    p.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="key to accept (repeatable; default mock-key)",
    )
    p.add_argument("--fault", action="append", default=[], metavar="FAULT", help="inject a fault")
    p.add_argument("--seed", type=int, default=0, help="seed for probabilistic faults")
    p.add_argument(
        "--pace",
        choices=("polls", "time"),
        default="polls",
        help="advance tasks per status poll (default) or with the clock",
    )
    p.add_argument("--pending", type=float, default=1, help="polls or seconds spent pending")
    p.add_argument("--running", type=float, default=3, help="polls or seconds spent running")
    p.add_argument("--json", action="store_true", help="print the URL and key as one JSON line")
    return p


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, print the URL and key, and serve until interrupted."""
    args = parser().parse_args(argv)
    try:
        rules = [parse_rule(text) for text in args.fault]
    except ValueError as exc:
        print(f"--fault: {exc}", file=sys.stderr)
        return 2
    from veo.mock import DEFAULT_API_KEY, Lifecycle, MockServer, MockSpecError

    try:
        server = MockServer(
            api_key=(args.api_keys or [DEFAULT_API_KEY])[0],
            lifecycle=Lifecycle(
                pace=args.pace, pending_steps=args.pending, running_steps=args.running
            ),
            seed=args.seed,
            host=args.host,
            port=args.port,
        )
    except MockSpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    server.app.state.api_keys = frozenset(args.api_keys or [DEFAULT_API_KEY])
    for rule in rules:
        server.faults.add(rule)
    with server:
        if args.json:
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
