"""Turn the vendor's spec and our overlay into the effective spec and the generated client.

Usage::

    python openapi/generate.py            # make gen: regenerate and swap into place
    python openapi/generate.py --check    # make gen-check: exit 1 naming drifted files

Steps: apply ``openapi/overlay.yaml`` to ``openapi/upstream.yaml``; validate the
result with openapi-spec-validator; run the pinned openapi-python-client
(``--meta none --fail-on-warning``, config ``openapi/generator.yaml``) into a fresh
temporary directory; format it with the pinned ruff in isolated mode (so no local
ruff configuration can change the bytes); add ``py.typed`` and a copy of the effective
spec as package data; then either swap the result into ``generated/veo_api`` or, with
``--check``, compare it with what is committed.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from openapi_spec_validator import validate

from apply_overlay import OverlayError, apply_overlay, dump_yaml, load_yaml

ROOT = Path(__file__).resolve().parent.parent
OPENAPI = ROOT / "openapi"
PACKAGE = "veo_api"
# The generated package ships the spec it was generated from: the mock server loads it
# from an installed wheel, where openapi/ does not exist.
PACKAGED_SPEC = "openapi.yaml"


class GenerationError(Exception):
    """A pipeline step failed; the message says which and why."""


def effective_spec(upstream: Path, overlay: Path) -> str:
    """Apply the overlay and validate the result; return it as YAML text."""
    try:
        document = apply_overlay(load_yaml(upstream), load_yaml(overlay))
    except OverlayError as exc:
        raise GenerationError(f"overlay {overlay.name}: {exc}") from exc
    text = dump_yaml(document)
    try:
        validate(yaml.safe_load(text))
    except Exception as exc:  # the validator raises several unrelated types
        raise GenerationError(f"effective spec is not valid OpenAPI: {exc}") from exc
    return text


def _run(argv: list[str], cwd: Path) -> None:
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        shown = " ".join(argv[2:] if argv[0] == sys.executable else argv)
        raise GenerationError(f"{shown} failed:\n{result.stdout}{result.stderr}")


def build_package(spec_text: str, workdir: Path) -> Path:
    """Generate, format and complete the client package under ``workdir``."""
    spec_path = workdir / "veo.yaml"
    spec_path.write_text(spec_text, encoding="utf-8")
    package = workdir / PACKAGE
    _run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(spec_path),
            "--config",
            str(OPENAPI / "generator.yaml"),
            "--meta",
            "none",
            "--fail-on-warning",
            "--output-path",
            str(package),
        ],
        cwd=workdir,
    )
    ruff = [sys.executable, "-m", "ruff"]
    # Run from workdir, not inside the package: its types.py would shadow the stdlib's.
    _run([*ruff, "check", "--isolated", "--fix-only", "--select", "I", "--quiet", PACKAGE], workdir)
    _run([*ruff, "format", "--isolated", "--quiet", PACKAGE], workdir)
    (package / "py.typed").write_text("", encoding="utf-8")
    (package / PACKAGED_SPEC).write_text(spec_text, encoding="utf-8")
    return package


def _tree(root: Path) -> dict[str, Path]:
    return {
        path.relative_to(root).as_posix(): path
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def differences(fresh_spec: str, fresh_package: Path, root: Path) -> list[str]:
    """Return the files under ``root`` that differ from a fresh generation."""
    effective, generated = root / "openapi" / "veo.yaml", root / "generated" / PACKAGE
    changed: list[str] = []
    if not effective.exists() or effective.read_text(encoding="utf-8") != fresh_spec:
        changed.append(effective.relative_to(root).as_posix())
    committed = _tree(generated) if generated.exists() else {}
    fresh = _tree(fresh_package)
    prefix = generated.relative_to(root).as_posix()
    for name in sorted(committed.keys() | fresh.keys()):
        both = name in committed and name in fresh
        if not both or not filecmp.cmp(committed[name], fresh[name], shallow=False):
            changed.append(f"{prefix}/{name}")
    return changed


def _swap_in(fresh_package: Path, generated: Path) -> None:
    generated.parent.mkdir(parents=True, exist_ok=True)
    staged = generated.parent / f".{PACKAGE}.new"
    retired = generated.parent / f".{PACKAGE}.old"
    for leftover in (staged, retired):
        shutil.rmtree(leftover, ignore_errors=True)
    # Copy onto the same file system first, so the swap itself is two renames.
    shutil.copytree(fresh_package, staged)
    if generated.exists():
        os.replace(generated, retired)
    os.replace(staged, generated)
    shutil.rmtree(retired, ignore_errors=True)


def run(*, check: bool, root: Path) -> int:
    """Run the pipeline on the project at ``root``; return the process exit code."""
    spec_text = effective_spec(
        root / "openapi" / "upstream.yaml", root / "openapi" / "overlay.yaml"
    )
    with tempfile.TemporaryDirectory(prefix="veo-gen-") as tmp:
        package = build_package(spec_text, Path(tmp))
        changed = differences(spec_text, package, root)
        if check:
            if changed:
                print("generated files differ from a fresh `make gen`:", file=sys.stderr)
                for name in changed:
                    print(f"  {name}", file=sys.stderr)
                print("run `make gen` and commit the result", file=sys.stderr)
                return 1
            print("generated code is up to date")
            return 0
        if changed:
            (root / "openapi" / "veo.yaml").write_text(spec_text, encoding="utf-8")
            _swap_in(package, root / "generated" / PACKAGE)
        print(f"{len(changed)} file(s) changed" if changed else "no changes")
        for name in changed:
            print(f"  {name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the effective spec and client.")
    parser.add_argument("--check", action="store_true", help="only report drift")
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="project holding openapi/ and generated/"
    )
    args = parser.parse_args(argv)
    try:
        return run(check=args.check, root=args.root.resolve())
    except GenerationError as exc:
        print(f"make gen: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
