"""Every command and example shown in README.md, CONTRIBUTING.md and docs/ runs.

Each fenced block is run as a reader would, against a mock server started here:

- ``console`` blocks: every ``$ `` line, in one bash process a block (so a variable set
  by one command is seen by the next), with ``DUOMI_BASE_URL``/``DUOMI_API_KEY``
  pointing at the mock. ``make demo`` runs for real (its video goes to the block's
  directory, and must be there after); other ``make`` targets run as a dry run
  (``make -n``: ``make test`` cannot run inside itself); ``pip install`` resolves
  against the wheel built from this checkout (``--dry-run --no-index``); a command
  that starts the mock server must print its URL; URLs of a mock on port 8000 are
  sent to the test's mock;
- ``python`` blocks: run as a script, or with pytest when they define tests;
- ``pycon`` blocks: run as doctests.

Output shown in the docs is illustrative and not compared; exit codes are.
"""

from __future__ import annotations

import contextlib
import doctest
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from veo.mock import Lifecycle, MockServer

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
RUN = {"console", "python", "pycon"}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
SERVERS = ("python -m veo.mock", "veo mock", "make mock")


@attrs.frozen
class Block:
    path: Path
    line: int
    language: str
    text: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks() -> list[Block]:
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(Block(path, line, match.group(1), match.group(2)))
    return found


def commands(block: Block) -> list[str]:
    """The ``$ `` lines of a console block (a trailing backslash continues a line)."""
    found: list[str] = []
    continued = False
    for line in block.text.splitlines():
        if continued:
            found[-1] = found[-1][:-1] + " " + line.strip()
        elif line.startswith("$ "):
            found.append(line[2:].strip())
        continued = bool(found) and found[-1].endswith("\\")
    return [re.sub(r"\s+#\s.*$", "", command) for command in found]


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(lifecycle=Lifecycle(pending_steps=0, running_steps=0)) as server:
        yield server


@pytest.fixture
def s3_bucket_of_the_docs(s3_env: dict[str, str]) -> str:
    import boto3

    client = boto3.client("s3")
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=BUCKET)
    return BUCKET


@pytest.fixture(scope="module")
def wheels(wheel: Path) -> Path:
    return wheel.parent


BUCKET = "my-bucket"
"""The bucket the docs' upload examples name, on the tests' S3 endpoint."""
IMAGES = {"first.png": PNG, "last.png": PNG}
"""The local images the docs' examples name, in the reader's directory."""


@pytest.fixture
def reader(
    mock: MockServer, tmp_path: Path, s3_env: dict[str, str], s3_bucket_of_the_docs: str
) -> dict[str, str]:
    """A reader's shell: the project's tools on PATH, the mock as the service, a task of
    theirs in ``TASK_ID``, the batch file the CLI page shows, the images the examples
    upload, and their bucket (on the tests' S3 endpoint, credentials in the
    environment)."""
    cli = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    (tmp_path / "prompts.jsonl").write_text(
        FENCE.search(cli[cli.index("```jsonl") :]).group(2),  # type: ignore[union-attr]
        encoding="utf-8",
    )
    for name, data in IMAGES.items():
        (tmp_path / name).write_bytes(data)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUOMI_")}
    bin_dir = str(Path(sys.executable).parent)
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        DUOMI_BASE_URL=mock.url,
        DUOMI_API_KEY=mock.api_key,
        TASK_ID=mock.state.create_task({"model": "veo3.1-fast", "prompt": "a cat"}).id,
    )
    return env


def shell_line(command: str, mock: MockServer, wheels: Path) -> str:
    words = shlex.split(command)
    if words == ["make", "demo"]:  # for real, into the block's directory
        demo = shlex.join(["make", "-s", "-C", str(ROOT), "demo"])
        return f'{demo} DEMO_OUT="$PWD/demo/car.mp4" && test -s demo/car.mp4'
    if words[0] == "make":
        return shlex.join(["make", "-n", "-C", str(ROOT), *words[1:]])
    if words[:2] == ["pip", "install"]:
        pip = [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--no-index"]
        return shlex.join([*pip, "--find-links", str(wheels), *words[2:]])
    if words[0] == "export" and words[1].startswith("DUOMI_"):
        return ":"  # the reader's own key would not reach the test's mock
    return command.replace("http://127.0.0.1:8000", mock.url)


def run_server(command: str, env: dict[str, str], cwd: Path) -> None:
    argv = shlex.split(command.replace("--port 8000", "--port 0"))
    if argv[:2] == ["make", "mock"]:
        argv = ["veo", "mock", "--port", "0"]
    process = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert first.startswith("Duomi Veo mock server on http://127.0.0.1:"), first


def run_console(
    block: Block, env: dict[str, str], cwd: Path, mock: MockServer, wheels: Path
) -> None:
    # In order: the commands before a server start (a recording it replays, say) run
    # first. Variables set in the shell before a server start are not seen after it.
    script: list[str] = []
    for command in [*commands(block), None]:
        if command is not None and not command.startswith(SERVERS):
            script.append(shell_line(command, mock, wheels))
            continue
        if script:
            result = subprocess.run(
                ["bash", "-c", "\n".join(["set -euo pipefail", *script])],
                cwd=cwd,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            output = f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            assert 0 == result.returncode, f"{block}:\n{output}"
            script = []
        if command is not None:
            run_server(command, env, cwd)


def run_python(block: Block, env: dict[str, str], cwd: Path) -> None:
    if re.search(r"^def test_", block.text, re.MULTILINE):
        (cwd / "test_from_docs.py").write_text(block.text, encoding="utf-8")
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_from_docs.py"]
    else:
        argv = [sys.executable, "-c", block.text]
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert 0 == result.returncode, f"{block}:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"


def run_pycon(block: Block) -> None:
    test = doctest.DocTestParser().get_doctest(
        block.text, {}, str(block), str(block.path), block.line
    )
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert 0 == runner.summarize(verbose=False).failed, str(block)


@pytest.mark.parametrize("block", [b for b in blocks() if b.language in RUN], ids=str)
def test_the_example_runs(
    block: Block, reader: dict[str, str], tmp_path: Path, mock: MockServer, wheels: Path
) -> None:
    if block.language == "console":
        run_console(block, reader, tmp_path, mock, wheels)
    elif block.language == "python":
        run_python(block, reader, tmp_path)
    else:
        run_pycon(block)


def test_every_block_says_what_it_is() -> None:
    """An unlabelled block would be skipped silently; label it (``text`` for output)."""
    assert [] == [str(b) for b in blocks() if not b.language]


def test_the_runner_sees_the_commands_the_docs_show() -> None:
    shown = [c for b in blocks() if b.language == "console" for c in commands(b)]

    assert {"make demo", "make test", "make gen", "make bench"} <= set(shown)
    assert any(c.startswith("veo batch ") for c in shown)
    assert any(c.startswith("pip install ") for c in shown)


def test_every_relative_link_points_at_a_file() -> None:
    broken = []
    for path in DOCS:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8")):
            if "://" not in target and not (path.parent / target).exists():
                broken.append(f"{path.relative_to(ROOT)}: {target}")

    assert [] == broken


def test_the_readme_stays_short() -> None:
    """For users: at most 250 lines; the details belong in docs/, whose examples run."""
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 250


def test_the_readme_installs_from_what_exists() -> None:
    """The package is not on a registry: every install line the README shows installs a
    wheel built from the checkout, and the README says where make demo puts veo."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    installs = [c for b in blocks() if b.path.name == "README.md" for c in commands(b)]
    pips = [c for c in installs if c.startswith("pip install")]

    assert pips
    assert all("--find-links" in command for command in pips), pips
    assert ".venv/bin/veo" in readme


def test_make_demo_on_a_fresh_clone_installs_only_what_the_demo_needs(tmp_path: Path) -> None:
    for name in ("Makefile", "pyproject.toml"):
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())

    planned = subprocess.run(
        ["make", "-n", "demo"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )

    assert 0 == planned.returncode, planned.stderr
    assert "-e '.[cli,mock]'" in planned.stdout
    assert "[dev]" not in planned.stdout
