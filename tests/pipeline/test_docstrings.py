"""Docstrings that name a file name one that exists, so they cannot go stale unseen."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# A path with a folder (tests/unit/test_x.py), or a bare source or document name
# (README.md). Names of files the code writes (car.mp4, veo-batch.lock) are neither.
PATH = re.compile(r"(?<![\w./-])((?:\.\./)?[\w.-]+(?:/[\w.-]+)+\.[A-Za-z]\w*)\b")
SOURCE = re.compile(r"(?<![\w./-])([\w-]+\.(?:py|md|toml|ya?ml))\b")
DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def tracked() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / name for name in listed if (ROOT / name).exists()]


def named_in_docstrings(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, DOCUMENTED) and (doc := ast.get_docstring(node)):
            names += PATH.findall(doc) + SOURCE.findall(doc)
    return names


def exists(name: str, source: Path, files: list[Path]) -> bool:
    if "/" in name:
        return any((base / name).exists() for base in (ROOT, source.parent, ROOT.parent))
    return any(f.name == name for f in files)


def test_every_file_named_in_a_docstring_exists() -> None:
    files = tracked()
    sources = [f for f in files if f.suffix == ".py" and not f.is_relative_to(ROOT / "generated")]
    missing = [
        f"{source.relative_to(ROOT)}: {name}"
        for source in sources
        for name in named_in_docstrings(source)
        if not exists(name, source, files)
    ]

    assert [] == missing


@pytest.mark.parametrize(
    ("doc", "found"),
    [
        ('"""See tests/unit/test_gone.py."""', ["tests/unit/test_gone.py"]),
        ('"""As the table in gone.md says."""', ["gone.md"]),
        ('"""Writes car.mp4 and veo-batch.lock."""', []),
    ],
)
def test_the_check_sees_paths_and_bare_source_names(
    tmp_path: Path, doc: str, found: list[str]
) -> None:
    module = tmp_path / "m.py"
    module.write_text(doc + "\n", encoding="utf-8")

    names = named_in_docstrings(module)

    assert found == names
    assert not any(exists(name, module, tracked()) for name in names)
