"""The effective spec the installed ``veo_api`` was generated from, for the mock and the check.

``veo_api`` ships it as package data (``generated/veo_api/openapi.yaml``), so both work from an
installed wheel. Reading it needs PyYAML, which the ``mock`` and ``check`` extras
bring; ``import veo`` never imports this module.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

__all__ = ["inline", "load_spec", "response_schema"]


def load_spec() -> dict[str, Any]:
    """The effective spec shipped in the ``veo_api`` package (a fresh copy each call)."""
    import yaml  # an extra's dependency, and slow to import: only here

    text = resources.files("veo_api").joinpath("openapi.yaml").read_text(encoding="utf-8")
    spec: dict[str, Any] = yaml.safe_load(text)
    return spec


def inline(node: Any, spec: dict[str, Any], depth: int = 0) -> Any:
    """``node`` with every ``$ref`` replaced by its target and ``nullable`` as a type."""
    if depth > 32:
        raise ValueError("the spec's $ref chain is too deep")
    if isinstance(node, list):
        return [inline(item, spec, depth + 1) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return inline(target, spec, depth + 1)
    inlined = {key: inline(value, spec, depth + 1) for key, value in node.items()}
    if inlined.pop("nullable", False) and isinstance(inlined.get("type"), str):
        inlined["type"] = [inlined["type"], "null"]
    return inlined


def response_schema(spec: dict[str, Any], operation_id: str, status: int) -> dict[str, Any] | None:
    """The JSON schema of ``operation_id``'s answer with ``status`` (or ``default``).

    Raises:
        KeyError: ``spec`` has no such operation.
    """
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                responses = operation.get("responses", {})
                response = responses.get(str(status), responses.get("default"))
                if response is None:
                    return None
                content = inline(response, spec).get("content") or {}
                media: dict[str, Any] = content.get("application/json") or next(
                    iter(content.values()), {}
                )
                schema: dict[str, Any] | None = media.get("schema")
                return schema
    raise KeyError(f"the spec has no operation {operation_id!r}")
