"""A stateful, fault-injecting mock of the Duomi Veo API, built from the effective spec.

Run it with ``veo mock`` or ``python -m veo.mock``, embed it with ``MockServer``
(re-exported by ``veo.testing``), or use the ``veo_mock`` pytest fixture. It accepts
the key ``mock-key`` (raw or ``Bearer mock-key``) unless configured otherwise.

Needs the ``mock`` extra (connexion, uvicorn); ``import veo`` never imports it.
"""

from veo._spec import load_spec
from veo.mock._app import MockApp, create_app
from veo.mock._faults import Fault, FaultPlan, FaultRule, parse_rule
from veo.mock._server import MockServer
from veo.mock._shapes import MockSpecError
from veo.mock._state import DEFAULT_API_KEY, Fate, Lifecycle, LoggedRequest, MockState, Task

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
