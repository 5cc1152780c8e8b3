"""Where users are: a platform without POSIX's extras, and a plain ``pip install``.

Windows has no ``fcntl``, ``resource``, ``os.posix_fadvise``, ``signal.SIGKILL`` or
``signal.SIGHUP``; every ``veo`` module must import without them, and the command must
work. A wheel installed without extras must say, in one line, which extra a command
needs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from veo.cli import EXTRAS

from ..helpers import venv_with_wheel

HIDDEN = """
import importlib.abc, os, signal, sys

class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name in ("fcntl", "resource"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

for name in ("fcntl", "resource"):
    sys.modules.pop(name, None)
sys.meta_path.insert(0, Hide())
for module, attribute in ((os, "posix_fadvise"), (signal, "SIGKILL"), (signal, "SIGHUP")):
    if hasattr(module, attribute):
        delattr(module, attribute)
"""

IMPORT_ALL = """
import pkgutil, importlib, veo
names = [m.name for m in pkgutil.walk_packages(veo.__path__, "veo.")]
for name in names:
    if name != "veo.__main__" and not name.startswith(SDK_SELECTED):
        importlib.import_module(name)
print(len(names), "modules")
"""
SDK_SELECTED = ("veo.mcp",)
"""Modules over a library that picks its POSIX-only imports by ``sys.platform`` (the MCP
SDK imports ``fcntl`` unless on Windows), which this simulation keeps as it is: their own
source is checked instead (``test_no_module_of_ours_imports_posix_only_modules``)."""

RUN_VEO = """
from veo.cli import main
sys.argv = ["veo", *sys.argv[1:]]
main()
"""


def _python(code: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_every_module_imports_without_posix_only_modules(tmp_path: Path) -> None:
    result = _python(
        HIDDEN
        + f"SDK_SELECTED = {SDK_SELECTED!r}\n"
        + IMPORT_ALL
        + "\nimport sys; assert 'fcntl' not in sys.modules\n",
        cwd=tmp_path,
    )

    assert 0 == result.returncode, result.stderr
    assert "modules" in result.stdout


def test_no_module_of_ours_imports_posix_only_modules_at_its_top() -> None:
    import ast

    import veo

    top_level: list[str] = []
    for source in Path(veo.__path__[0]).rglob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in tree.body:  # imports inside functions are guarded where they are
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            top_level += [f"{source.name}: {n}" for n in names if n in ("fcntl", "resource")]

    assert [] == top_level


def test_the_command_runs_without_posix_only_modules(tmp_path: Path) -> None:
    helped = _python(HIDDEN + RUN_VEO, "--help", cwd=tmp_path)
    generated = _python(
        HIDDEN + RUN_VEO, "generate", "--mock", "a cat", "--out", "cat.mp4", cwd=tmp_path
    )

    assert 0 == helped.returncode, helped.stderr
    assert "generate" in helped.stdout
    assert 0 == generated.returncode, generated.stderr
    assert (tmp_path / "cat.mp4").read_bytes()[4:8] == b"ftyp"


# -- a wheel installed without extras -------------------------------------------------


def _closure(extras: tuple[str, ...]) -> set[str]:
    """The installed distributions ``duomi-veo[extras]`` needs, itself excluded."""
    wanted: set[str] = set()
    todo = [(req, extras) for req in metadata.requires("duomi-veo") or []]
    while todo:
        text, with_extras = todo.pop()
        requirement = Requirement(text)
        environments = [{"extra": extra} for extra in with_extras] or [{"extra": ""}]
        if requirement.marker and not any(
            requirement.marker.evaluate(environment) for environment in environments
        ):
            continue
        name = requirement.name.lower().replace("_", "-")
        if name == "duomi-veo" or name in wanted:
            continue
        wanted.add(name)
        todo += [(r, tuple(requirement.extras)) for r in metadata.requires(name) or []]
    return wanted


def _site_of(distributions: set[str], into: Path) -> Path:
    """A directory holding (as links) only the files of ``distributions``."""
    into.mkdir()
    for name in distributions:
        for file in metadata.distribution(name).files or []:
            top = file.parts[0]
            source = Path(str(file.locate())).resolve()
            if top == ".." or not source.exists():
                continue
            target = into / top
            if not target.exists():
                parent = source
                for _ in range(len(file.parts) - 1):
                    parent = parent.parent
                os.symlink(parent, target)
    return into


@pytest.fixture(scope="module", params=[(), ("cli",)], ids=["no-extras", "cli-only"])
def plain_install(
    request: pytest.FixtureRequest, wheel: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, tuple[str, ...]]:
    """A fresh venv with the wheel and only what ``pip install 'duomi-veo[extras]'``
    would bring, linked from this environment (no network)."""
    extras: tuple[str, ...] = request.param
    root = tmp_path_factory.mktemp("plain")
    deps = _site_of(_closure(extras), root / "deps")
    python, _ = venv_with_wheel(root / "venv", wheel, deps)
    return python, extras


# What a user types; the console script pip writes calls the same entry point.
ENTRY_POINT = textwrap.dedent(
    """
    import sys
    from importlib.metadata import entry_points
    (script,) = entry_points(group="console_scripts", name="veo")
    sys.argv = ["veo", *sys.argv[1:]]
    script.load()()
    """
)


def _veo(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DUOMI_", "PYTHON"))}
    return subprocess.run(
        [str(python), "-c", ENTRY_POINT, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**env, "DUOMI_API_KEY": "sk-never-used-123456"},
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


COMMANDS = [
    ("--help",),
    ("generate", "a cat"),
    ("generate", "--mock", "a cat"),
    ("validate", "a cat"),
    ("tasks",),
    ("mock",),
    ("mock", "--help"),
    ("check",),
    ("mcp",),
    ("batch", "jobs.jsonl"),
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_command_without_its_extra_says_which_one_in_one_line(
    plain_install: tuple[Path, tuple[str, ...]], args: tuple[str, ...], tmp_path: Path
) -> None:
    python, extras = plain_install
    (tmp_path / "jobs.jsonl").write_text('{"prompt": "a cat"}\n', encoding="utf-8")

    result = _veo(python, *args, cwd=tmp_path)

    if not extras:
        needs = "cli"
    elif (args[0] == "mock" and "--help" not in args) or "--mock" in args:
        needs = "cli,mock"
    elif args[0] == "check":
        needs = "cli,check"
    elif args[0] == "mcp":
        needs = "mcp"  # the mcp extra brings cli along
    else:  # runs: its output is the other tests' business, here only "no traceback"
        assert "Traceback" not in result.stderr, result.stderr
        assert 2 != result.returncode or "pip install" not in result.stderr
        return
    assert "Traceback" not in result.stderr, result.stderr
    assert 2 == result.returncode, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ")
    assert f"pip install 'duomi-veo[{needs}]'" in line


def test_the_library_needs_no_extra(
    plain_install: tuple[Path, tuple[str, ...]], tmp_path: Path
) -> None:
    python, _ = plain_install
    code = (
        "import veo, sys; veo.Veo(api_key='sk-x-123456', base_url='http://127.0.0.1:9');"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in EXTRA_MODULES))"
    ).replace("EXTRA_MODULES", repr(sorted(set().union(*EXTRAS.values()))))

    result = subprocess.run([str(python), "-c", code], capture_output=True, text=True, cwd=tmp_path)

    assert 0 == result.returncode, result.stderr
    assert "[]" == result.stdout.strip()


PYTHON_ENTRIES = [
    ("python -m veo.mock", ["-m", "veo.mock", "--port", "0"], "mock"),
    ("from veo.mock import MockServer", ["-c", "from veo.mock import MockServer"], "mock"),
    ("import veo.check", ["-c", "import veo.check"], "check"),
    ("the pytest fixture", ["-c", "import veo.testing; veo.testing.MockServer"], "mock"),
]


@pytest.mark.parametrize(
    ("what", "argv", "needs"), PYTHON_ENTRIES, ids=[e[0] for e in PYTHON_ENTRIES]
)
def test_a_python_entry_without_its_extra_names_the_pip_install(
    plain_install: tuple[Path, tuple[str, ...]],
    what: str,
    argv: list[str],
    needs: str,
    tmp_path: Path,
) -> None:
    """Caught before: a raw ``ModuleNotFoundError: No module named 'connexion'``."""
    python, _ = plain_install

    result = subprocess.run(
        [str(python), *argv], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )

    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert f"needs the {needs} extra: pip install 'duomi-veo[{needs}]'" in last, result.stderr
    if what == "python -m veo.mock":  # a command: one line, exit 2, no traceback
        assert (2, "Traceback" not in result.stderr) == (result.returncode, True)
        assert [last] == result.stderr.strip().splitlines()
