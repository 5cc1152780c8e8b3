"""Turn the vendor's spec and our overlay into the effective spec and the generated client.

Usage::

    python openapi/generate.py            # make gen: regenerate and swap into place
    python openapi/generate.py --check    # make gen-check: exit 1 naming drifted files

Steps: check that the vendor's documents in ``openapi/vendor/`` are the ones the last
``make gen`` recorded (``--check`` fails naming an edited file); extract and merge them
(``vendor_docs.py``); apply ``openapi/overlay.yaml``; open the enums the overlay marks
``x-veo-open-enum``; give every enum readable member names (``x-enum-varnames``);
validate the result with openapi-spec-validator; print what changed since the
committed spec (operations, fields, enum values); run the pinned openapi-python-client
(``--meta none --fail-on-warning``, config ``openapi/generator.yaml``) into a fresh
temporary directory; format it with the pinned ruff in isolated mode (so no local
ruff configuration can change the bytes); add ``py.typed`` and a copy of the effective
spec as package data; check that ``veo`` still imports against the fresh package (a
breaking change fails here, with the reason); then either swap the result into
``generated/veo_api`` or, with ``--check``, compare it with what is committed.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from openapi_spec_validator import validate

from apply_overlay import OverlayError, apply_overlay, dump_yaml, load_yaml
from facade_fields import (
    load_fields,
    moved_operations,
    operation_sources,
    operations,
    spec_problems,
    vendor_problems,
)
from request_surface import DOCS_TABLE, MODULE, SurfaceError, surface
from vendor_docs import LOCK_NAME, VendorError, lock_problems, vendor_spec, write_lock

ROOT = Path(__file__).resolve().parent.parent
OPENAPI = ROOT / "openapi"
PACKAGE = "veo_api"
# The generated package ships the spec it was generated from: the mock server loads it
# from an installed wheel, where openapi/ does not exist.
PACKAGED_SPEC = "openapi.yaml"


class GenerationError(Exception):
    """A pipeline step failed; the message says which and why."""


def _schemas(node: Any, name: str = "") -> Iterator[tuple[dict[str, Any], str]]:
    """Every mapping in ``node``, with the key it sits under (a property's name)."""
    if isinstance(node, dict):
        yield node, name
        for key, value in node.items():
            yield from _schemas(value, str(key))
    elif isinstance(node, list):
        for value in node:
            yield from _schemas(value, name)


def _identifier(value: object) -> str:
    return re.sub(r"[^0-9A-Za-z]+", "_", str(value)).strip("_").upper() or "EMPTY"


def open_enums(document: Any) -> None:
    """Turn each schema marked ``x-veo-open-enum: true`` into "one of these, or any string".

    ``{type: string, enum: [...]}`` becomes ``{anyOf: [{type: string, enum: [...]},
    {type: string}]}``: the values stay documented (and named), and a value the
    service adds later still validates and parses (as a plain string).
    """
    for schema, _ in list(_schemas(document)):
        if not schema.pop("x-veo-open-enum", False):
            continue
        known = {key: schema.pop(key) for key in ("type", "enum", "title") if key in schema}
        names = {k: schema.pop(k) for k in list(schema) if k.startswith("x-veo-enum-name")}
        schema["anyOf"] = [{**known, **names}, {"type": known.get("type", "string")}]


def name_enums(document: Any) -> None:
    """Give every enum readable member names, as positional ``x-enum-varnames``.

    One rule for all: a value's name is the value made an identifier (``720p`` →
    ``720P``); a name that would start with a digit is prefixed with the property's
    name (``RESOLUTION_720P``). The overlay may override: ``x-veo-enum-names`` maps
    values to names, ``x-veo-enum-name-template`` (e.g. ``SECONDS_{}``) names the rest.

    Raises:
        GenerationError: two values would get the same name.
    """
    for schema, owner in list(_schemas(document)):
        if "enum" not in schema or "x-enum-varnames" in schema:
            continue
        known = {str(k): str(v) for k, v in schema.pop("x-veo-enum-names", {}).items()}
        template = str(schema.pop("x-veo-enum-name-template", "{}"))
        prefix = _identifier(owner) if owner and owner != "anyOf" else "VALUE"
        names = []
        for value in schema["enum"]:
            name = known.get(str(value)) or template.format(_identifier(value))
            names.append(f"{prefix}_{name}" if name[:1].isdigit() else name)
        if len(set(names)) != len(names):
            raise GenerationError(
                f"enum {schema.get('title') or owner}: values {schema['enum']} give "
                f"duplicate names {names}"
            )
        schema["x-enum-varnames"] = names


def effective_spec(vendor: Path, overlay: Path, committed: Path | None = None) -> str:
    """Merge the vendor's documents, apply the overlay, open and name the enums,
    validate; return the result as YAML text.

    Every field ``veo`` reads from an answer (``veo/_wire.py``) is checked on the way:
    first in the vendor's documents (located by the operationIds of ``committed``, the
    last effective spec), then in the result.

    Raises:
        GenerationError: naming the step, and for a field ``veo`` reads, the field and
            the vendor document.
    """
    fields = load_fields(ROOT)
    try:
        merged = vendor_spec(vendor)
        sources = operation_sources(vendor)
    except VendorError as exc:
        raise GenerationError(f"vendor documents: {exc}") from exc
    actions = load_yaml(overlay)
    try:
        document = apply_overlay(merged, actions)
    except OverlayError as exc:
        # An action aimed at something the vendor moved or renamed: say what moved (an
        # operation's path, a field veo reads), located in the last effective spec,
        # rather than only the action's JSONPath.
        places = operations(load_yaml(committed)) if committed and committed.exists() else {}
        moved = moved_operations(places, sources, actions)
        if moved:
            raise GenerationError("\n".join(moved)) from exc
        problems = vendor_problems(merged, fields, sources, places)
        if problems:
            raise GenerationError(
                _listed("a field veo reads is gone or changed", problems)
            ) from exc
        raise GenerationError(f"overlay {overlay.name}: {exc}") from exc
    # The operations located by the overlay (the vendor's documents carry no operationIds),
    # so a path the vendor moved, with the overlay retargeted, is found where it is now.
    problems = vendor_problems(merged, fields, sources, operations(document))
    if problems:
        raise GenerationError(_listed("a field veo reads is gone or changed", problems))
    open_enums(document)
    name_enums(document)
    text = dump_yaml(document)
    try:
        validate(yaml.safe_load(text))
    except Exception as exc:  # the validator raises several unrelated types
        raise GenerationError(f"effective spec is not valid OpenAPI: {exc}") from exc
    problems = spec_problems(document, fields, sources)
    if problems:
        raise GenerationError(_listed("a field veo reads is gone or changed", problems))
    return text


def _listed(headline: str, problems: list[str]) -> str:
    lines = "".join(f"\n  {problem}" for problem in problems)
    return f"{headline}:{lines}\nupdate veo/_wire.py (and what reads the field) for the new spec"


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _schema_facts(spec: dict[str, Any], schema: Any, where: str, depth: int = 0) -> set[str]:
    schema = _resolve(spec, schema)
    facts: set[str] = set()
    if not isinstance(schema, dict) or depth > 4:
        return facts
    for value in schema.get("enum", []):
        facts.add(f"{where}: {value}")
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            facts |= _schema_facts(spec, branch, where, depth + 1)
    if schema.get("type") == "array" or "items" in schema:
        facts |= _schema_facts(spec, schema.get("items"), f"{where}[]", depth + 1)
    for name, sub in (schema.get("properties") or {}).items():
        field = f"{where}.{name}" if where else name
        facts.add(f"field {field}")
        facts |= _schema_facts(spec, sub, field, depth + 1)
    return facts


def spec_facts(spec: dict[str, Any]) -> set[str]:
    """What users of the API depend on: operations, fields and enum values."""
    facts: set[str] = set()
    for path, item in (spec.get("paths") or {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            name = operation.get("operationId") or f"{method.upper()} {path}"
            facts.add(f"operation {name}: {method.upper()} {path}")
            body = (operation.get("requestBody") or {}).get("content", {})
            for media in body.values():
                facts |= {
                    f"{name} request {f}" if f.startswith("field ") else f
                    for f in _schema_facts(spec, media.get("schema"), "")
                }
            ok = _resolve(spec, (operation.get("responses") or {}).get("200", {}))
            for media in (ok.get("content") or {}).values():
                facts |= {
                    f"{name} response {f}"
                    for f in _schema_facts(spec, media.get("schema"), "")
                    if f.startswith("field ")
                }
    return facts


def summarize_changes(old_text: str | None, new_text: str) -> list[str]:
    """``+``/``-`` lines for operations, fields and enum values added or removed."""
    if old_text is None:
        return ["+ (no committed spec: everything is new)"]
    old, new = spec_facts(yaml.safe_load(old_text)), spec_facts(yaml.safe_load(new_text))
    return [f"- {fact}" for fact in sorted(old - new)] + [f"+ {fact}" for fact in sorted(new - old)]


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
            "--custom-template-path",
            str(OPENAPI / "templates"),
            "--fail-on-warning",
            "--output-path",
            str(package),
        ],
        cwd=workdir,
    )
    try:
        module, table = surface(yaml.safe_load(spec_text), package)
    except SurfaceError as exc:
        raise GenerationError(f"request fields: {exc}") from exc
    (package / MODULE).write_text(module, encoding="utf-8")
    (workdir / DOCS_TABLE.name).write_text(table, encoding="utf-8")
    ruff = [sys.executable, "-m", "ruff"]
    # Run from workdir, not inside the package: its types.py would shadow the stdlib's.
    _run([*ruff, "check", "--isolated", "--fix-only", "--select", "I", "--quiet", PACKAGE], workdir)
    _run([*ruff, "format", "--isolated", "--quiet", PACKAGE], workdir)
    (package / "py.typed").write_text("", encoding="utf-8")
    (package / PACKAGED_SPEC).write_text(spec_text, encoding="utf-8")
    check_facade(workdir)
    return package


def check_facade(workdir: Path) -> None:
    """Import ``veo`` against the fresh package: a breaking change fails here, clearly."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(workdir), str(ROOT)])}
    # Import veo against the fresh package, build both requests through it (a generated
    # argument veo would not send fails here), and check the mock's answers against
    # the fresh spec (a field the mock sends that the spec lost is named).
    code = (
        "import veo_api, veo\n"
        "from veo._http import build_create, build_get\n"
        "build_create(veo.VideoRequest('p').to_model(), 'key')\n"
        "build_get('task', 'key')\n"
        "from veo.mock._shapes import answer_problems\n"
        "from veo._spec import load_spec\n"
        "problems = answer_problems(load_spec())\n"
        "assert not problems, 'the mock ' + '; '.join(problems)\n"
        "print(veo_api.__file__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=workdir, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise GenerationError(f"the facade (veo) does not work with the new spec: {reason}")
    if not result.stdout.startswith(str(workdir)):
        raise GenerationError(f"the check imported another veo_api: {result.stdout.strip()}")


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
    table = root / DOCS_TABLE
    fresh_table = (fresh_package.parent / DOCS_TABLE.name).read_text(encoding="utf-8")
    if not table.exists() or table.read_text(encoding="utf-8") != fresh_table:
        changed.append(DOCS_TABLE.as_posix())
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
    vendor, lock = root / "openapi" / "vendor", root / "openapi" / LOCK_NAME
    edited = lock_problems(vendor, lock)
    if check and edited:
        for line in edited:
            print(line, file=sys.stderr)
        print("run `make gen` and commit the result", file=sys.stderr)
        return 1
    committed = root / "openapi" / "veo.yaml"
    spec_text = effective_spec(vendor, root / "openapi" / "overlay.yaml", committed)
    if not check:
        old = committed.read_text(encoding="utf-8") if committed.exists() else None
        changes = summarize_changes(old, spec_text)
        if changes:
            print("spec changes since the committed openapi/veo.yaml:")
        else:
            print("spec: no operation, field or enum value added or removed")
        for line in changes:
            print(f"  {line}")
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
            (root / DOCS_TABLE).parent.mkdir(parents=True, exist_ok=True)
            (root / DOCS_TABLE).write_text(
                (package.parent / DOCS_TABLE.name).read_text(encoding="utf-8"), encoding="utf-8"
            )
            _swap_in(package, root / "generated" / PACKAGE)
        write_lock(vendor, lock)
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
