"""``veo`` reaches other packages through their public names only.

A private name (one underscore) of another package — the generated ``veo_api``
included — can change in any release without notice. This finds every one ``veo``
would use: an attribute it reads or sets that ``veo`` itself does not define, a
private name it imports, a private method of another package's class it overrides.
On the code before, it found httpx's ``_init_transport``/``_init_proxy_transport``,
httpcore's ``_pool._network_backend``, the generated ``_get_kwargs``, the cookie jar's
``_cookies_lock`` and connexion's ``_resolve_func``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "veo").rglob("*.py"))


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _own_names() -> set[str]:
    """Every private name veo defines: modules, functions, classes, class attributes,
    ``self._x`` and ``cls._x`` assignments, parameters and import aliases."""
    names = {path.stem for path in SOURCES} | {path.parent.name for path in SOURCES}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.alias) and node.asname:
                names.add(node.asname)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("self", "cls")
            ):
                names.add(node.attr)
    return {name for name in names if _private(name)}


def _overridden(path: Path) -> set[str]:
    """Private methods a class of ``path`` overrides from another package's class."""
    if path.stem == "__main__":  # runs a command when imported; defines no class
        return set()
    module = importlib.import_module(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    )
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ClassDef):
            continue
        # The class's bases as the module names them (a class defined inside a
        # function too), each with its own bases.
        bases = []
        for base in node.bases:
            try:
                found_base = eval(ast.unparse(base), vars(module))  # our own source
            except NameError:  # a base defined in the same function
                continue
            if inspect.isclass(found_base):
                bases += found_base.__mro__
        foreign = [base for base in bases if not base.__module__.startswith("veo.")]
        found |= {
            item.name
            for item in node.body
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            and _private(item.name)
            and any(item.name in vars(base) for base in foreign)
        }
    return found


def used_private_names() -> set[tuple[str, str]]:
    own = _own_names()
    used = set()
    for path in SOURCES:
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and _private(node.attr) and node.attr not in own:
                used.add((where, node.attr))
            elif isinstance(node, ast.ImportFrom) and not (node.module or "").startswith("veo"):
                used |= {(where, alias.name) for alias in node.names if _private(alias.name)}
        used |= {(where, name) for name in _overridden(path)}
    return used


def test_veo_uses_no_private_name_of_another_package() -> None:
    assert set() == used_private_names()


def test_the_scan_finds_a_private_name_it_is_shown() -> None:
    tree = ast.parse("import httpx\nhttpx.Client()._mounts\n")
    attributes = [n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)]

    assert "_mounts" in attributes
    assert "_mounts" not in _own_names()
