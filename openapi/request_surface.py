"""Write the create request's surface from the effective spec: Python for ``veo``, a table
for the docs.

``make gen`` runs :func:`write_surface` on the freshly generated package. It reads the
request body of ``createVideoGeneration`` in the effective spec and the generated model
for it (to name each enum field's generated class), and writes:

- ``generated/veo_api/request_fields.py``: ``FIELDS`` (each field's name, JSON type, enum values
  and class, ``required``, ``maxItems``, description), ``RequestModel`` (the fields as a
  frozen attrs class, which ``veo.VideoRequest`` extends with its checks) and
  ``RequestFields`` (the same as a ``TypedDict``, which types the keyword arguments of
  ``create``/``generate``: a new field is seen by mypy and IDEs, a misspelled one is a
  type error);
- ``docs/request-fields.md``: the field table of the docs.

So a field the vendor adds reaches the library, the CLI, batch lines and the docs with
``make gen`` alone. The rules the spec states only in prose stay in ``veo/_rules.py``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from facade_fields import resolve

__all__ = ["DOCS_TABLE", "MODULE", "REQUEST_OPERATION", "SurfaceError", "surface"]

REQUEST_OPERATION = "createVideoGeneration"
"""The operation whose request body the surface describes."""
MODULE = "request_fields.py"
DOCS_TABLE = Path("docs") / "request-fields.md"
JSON_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


class SurfaceError(Exception):
    """The request body cannot be described (a shape ``veo`` has no Python for)."""


def _request_schema(spec: Mapping[str, Any]) -> dict[str, Any]:
    for item in (spec.get("paths") or {}).values():
        for operation in (item or {}).values():
            if isinstance(operation, dict) and operation.get("operationId") == REQUEST_OPERATION:
                body = resolve(spec, operation.get("requestBody") or {})
                media = (body.get("content") or {}).get("application/json") or {}
                schema = resolve(spec, media.get("schema"))
                if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
                    return schema
                raise SurfaceError(f"{REQUEST_OPERATION}: the request body has no properties")
    raise SurfaceError(f"no operation {REQUEST_OPERATION} in the effective spec")


def _generated_model(package: Path) -> tuple[Path, str]:
    """The generated module and class of the request body (the operation's ``body``)."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", REQUEST_OPERATION).lower()
    for module in sorted((package / "api").glob(f"*/{snake}.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == "request_args":
                for argument in node.args.kwonlyargs:
                    if argument.arg == "body" and isinstance(argument.annotation, ast.Name):
                        name = argument.annotation.id
                        return package / "models" / f"{_module_of(tree, name)}.py", name
    raise SurfaceError(f"the generated client has no request body for {REQUEST_OPERATION}")


def _module_of(tree: ast.Module, name: str) -> str:
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and any(a.name == name for a in node.names):
            return (node.module or "").rsplit(".", 1)[-1]
    raise SurfaceError(f"cannot find where the generated client imports {name} from")


def _enum_classes(model: Path, class_name: str) -> dict[str, tuple[str, str]]:
    """Field name → (enum class, its module) for the generated model's enum fields."""
    tree = ast.parse(model.read_text(encoding="utf-8"))
    imported = {
        alias.name: (node.module or "").rsplit(".", 1)[-1]
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("models.")
        for alias in node.names
    }
    found: dict[str, tuple[str, str]] = {}
    for node in tree.body:
        if not (isinstance(node, ast.ClassDef) and node.name == class_name):
            continue
        for statement in node.body:
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                for name in _names(statement.annotation):
                    if name in imported:
                        found[statement.target.id] = (name, imported[name])
    return found


def _names(annotation: ast.expr) -> Iterator[str]:
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name):
            yield node.id


class _Field:
    def __init__(
        self, name: str, schema: dict[str, Any], required: bool, enum: tuple[str, str] | None
    ) -> None:
        self.name, self.schema, self.required, self.enum = name, schema, required, enum
        self.type = str(schema.get("type") or "")
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        self.items = str(items.get("type") or "") if self.type == "array" else ""
        self.values = list(schema["enum"]) if isinstance(schema.get("enum"), list) else None
        self.max_items = schema.get("maxItems") if self.type == "array" else None
        self.description = " ".join(str(schema.get("description") or "").split())
        if not self.name.isidentifier() or self.name.startswith("_"):
            raise SurfaceError(f"request field {self.name!r} is not a Python identifier")
        if self.values is None and self.type not in (*JSON_TYPES, "array", "object"):
            raise SurfaceError(f"request field {self.name}: no Python type for {schema}")
        if self.type == "array" and self.items not in JSON_TYPES:
            raise SurfaceError(f"request field {self.name}: an array of {self.items or 'any'}")

    def value_type(self) -> str:
        """The type of a value the user passes (the enum class or its values)."""
        if self.values is not None and self.enum is not None:
            literals = ", ".join(repr(v) for v in self.values)
            return f"{self.enum[0]} | Literal[{literals}]"
        if self.type == "array":
            item = JSON_TYPES[self.items]
            return f"{item} | Iterable[{item}]" if item == "str" else f"Iterable[{item}]"
        if self.type == "object":
            return "Mapping[str, Any]"
        return JSON_TYPES[self.type]

    def attribute(self) -> str:
        if self.name == "prompt":
            return f"    {self.name}: {self.value_type()}"
        if self.type == "array":
            item = JSON_TYPES[self.items]
            return (
                f"    {self.name}: tuple[{item}, ...] = attrs.field(\n"
                f"        default=(), converter=_as_tuple, kw_only=True\n    )"
            )
        extra = ", hash=False" if self.type == "object" else ""
        return (
            f"    {self.name}: {self.value_type()} | None = attrs.field(default=None, "
            f"kw_only=True{extra})"
        )

    def keyword(self) -> str:
        suffix = "" if self.name == "prompt" else " | None"
        return f"    {self.name}: {self.value_type()}{suffix}"

    def entry(self) -> str:
        parts = [repr(self.name), repr(self.type), repr(self.description)]
        if self.required:
            parts.append("required=True")
        if self.values is not None:
            parts.append(f"values={tuple(self.values)!r}")
        if self.enum is not None:
            parts.append(f"enum={self.enum[0]}")
        if self.max_items is not None:
            parts.append(f"max_items={int(self.max_items)}")
        if self.items:
            parts.append(f"items={self.items!r}")
        return f"    RequestField({', '.join(parts)}),"

    def row(self) -> str:
        kind = self.type if self.type != "array" else f"array of {self.items}"
        if self.max_items is not None:
            kind += f" (at most {self.max_items})"
        values = ", ".join(f"`{v}`" for v in self.values) if self.values else ""
        description = self.description.replace("|", "\\|")
        return (
            f"| `{self.name}` | {kind} | {'yes' if self.required else 'no'} | {values} | "
            f"{description} |"
        )


def _fields(spec: Mapping[str, Any], package: Path) -> list[_Field]:
    schema = _request_schema(spec)
    model, class_name = _generated_model(package)
    enums = _enum_classes(model, class_name)
    required = set(schema.get("required") or [])
    fields = []
    for name, sub in schema["properties"].items():
        resolved = resolve(spec, sub)
        enum = enums.get(name) if isinstance(resolved.get("enum"), list) else None
        fields.append(_Field(name, resolved, name in required, enum))
    if "prompt" not in {field.name for field in fields}:
        raise SurfaceError(f"{REQUEST_OPERATION}: the request body has no prompt")
    for field in fields:
        if field.values is not None and field.enum is None:
            raise SurfaceError(f"request field {field.name}: the generated model has no enum")
    return fields


TEMPLATE = Path(__file__).resolve().parent / "templates" / "request_fields.py.template"
"""The module's text, with ``{placeholders}`` for what the spec decides (``str.format``)."""


def surface(spec: Mapping[str, Any], package: Path) -> tuple[str, str]:
    """The module's text and the docs table's text, for the package ``make gen`` made."""
    fields = _fields(spec, package)
    imports = sorted(
        {f"from .models.{field.enum[1]} import {field.enum[0]}" for field in fields if field.enum}
    )
    ordered = sorted(fields, key=lambda field: field.name != "prompt")  # prompt: positional
    module = TEMPLATE.read_text(encoding="utf-8").format(
        operation=REQUEST_OPERATION,
        imports="\n".join(imports),
        entries="\n".join(field.entry() for field in fields),
        attributes="\n".join(field.attribute() for field in ordered),
        keywords="\n".join(field.keyword() for field in ordered),
    )
    table = "\n".join(
        [
            "# Request fields",
            "",
            f"The fields of a video request (`{REQUEST_OPERATION}`), as the effective spec",
            "(`openapi/veo.yaml`) defines them. `make gen` writes this page; do not edit it.",
            "Each is a keyword argument of `VideoRequest`, `create` and `generate`, a field",
            "of a `veo batch` line, and an option of `veo generate` and `veo validate`",
            "(docs/cli.md). The rules between fields are in README.md.",
            "",
            "| field | type | required | values | description |",
            "|---|---|---|---|---|",
            *(field.row() for field in fields),
            "",
        ]
    )
    return module, table
