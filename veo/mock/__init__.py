"""A stateful, fault-injecting mock of the Duomi Veo API, built from the effective spec.

Run it with ``veo mock`` or ``python -m veo.mock``, embed it with ``MockServer``
(re-exported by ``veo.testing``), or use the ``veo_mock`` pytest fixture. It accepts
the key ``mock-key`` (raw or ``Bearer mock-key``) unless configured otherwise.

Needs the ``mock`` extra (connexion, uvicorn); ``import veo`` never imports it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from veo._spec import load_spec
    from veo.mock._app import MockApp, create_app
    from veo.mock._faults import Fault, FaultPlan, FaultRule, parse_rule
    from veo.mock._server import MockServer
    from veo.mock._shapes import MockSpecError
    from veo.mock._state import (
        DEFAULT_API_KEY,
        Fate,
        Lifecycle,
        LoggedRequest,
        MockState,
        Task,
    )

# Where each name lives. Loaded on first use, so that ``veo mock --help`` (which reads
# the fault names) does not import the web framework, and runs without the extra.
_HOMES = {
    "load_spec": "veo._spec",
    "MockApp": "veo.mock._app",
    "create_app": "veo.mock._app",
    "Fault": "veo.mock._faults",
    "FaultPlan": "veo.mock._faults",
    "FaultRule": "veo.mock._faults",
    "parse_rule": "veo.mock._faults",
    "MockServer": "veo.mock._server",
    "MockSpecError": "veo.mock._shapes",
    **dict.fromkeys(
        ("DEFAULT_API_KEY", "Fate", "Lifecycle", "LoggedRequest", "MockState", "Task"),
        "veo.mock._state",
    ),
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'veo.mock' has no attribute {name!r}")
    try:
        module = importlib.import_module(home)
    except ModuleNotFoundError as exc:
        raise _without_extra(exc) from None
    value = getattr(module, name)
    globals()[name] = value
    return value


def _without_extra(error: ModuleNotFoundError) -> ModuleNotFoundError:
    """``error``, saying in one line which ``pip install`` brings the mock's modules
    (a module of no extra keeps its own message: a bug, not an install)."""
    from veo.cli import missing_extra  # no dependency of the cli extra: a dictionary

    fix = missing_extra(error, "mock")
    if fix is None:
        return error
    return ModuleNotFoundError(f"veo.mock needs the mock extra: {fix}", name=error.name)


__all__ = [
    "DEFAULT_API_KEY",
    "Fate",
    "Fault",
    "FaultPlan",
    "FaultRule",
    "Lifecycle",
    "LoggedRequest",
    "MockApp",
    "MockServer",
    "MockSpecError",
    "MockState",
    "Task",
    "create_app",
    "load_spec",
    "parse_rule",
]
