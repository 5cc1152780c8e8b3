"""``make fuzz``: schemathesis' CLI against a live ``python -m veo.mock`` over real HTTP.

Uses the committed schemathesis.toml (hooks, seed, auth header) with a longer budget;
exits non-zero on any failure. Usage: ``python tests/contract/fuzz.py [--seconds 300]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=300, help="time budget (default 300)")
    parser.add_argument("--max-examples", type=int, default=2000)
    args = parser.parse_args()
    mock = subprocess.Popen(
        [sys.executable, "-m", "veo.mock", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert mock.stdout is not None
        line = mock.stdout.readline()
        if " on http://" not in line:
            print(f"the mock did not start: {line!r}", file=sys.stderr)
            return 1
        url = line.rsplit(" ", 1)[1].strip()
        print(f"fuzzing the mock at {url} for up to {args.seconds}s", flush=True)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return subprocess.call(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "--config-file",
                str(ROOT / "schemathesis.toml"),
                "run",
                f"{url}/openapi.json",
                "--max-time",
                str(args.seconds),
                "--max-examples",
                str(args.max_examples),
            ],
            cwd=ROOT,
            env=env,
        )
    finally:
        mock.terminate()
        mock.communicate(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
