"""Schemathesis against the live mock: all phases, every default check, stateful too.

The schema is the packaged effective spec (what the mock itself loads and serves), so it
can be loaded at collection time; each call goes to a mock on 127.0.0.1 over real HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from veo.mock import load_spec
from veo.testing import MockServer

from . import hooks  # noqa: F401  (registers the filter hook)

CONFIG = SchemathesisConfig.from_path(Path(__file__).resolve().parents[2] / "schemathesis.toml")
schema = schemathesis.openapi.from_dict(load_spec(), config=CONFIG)


@pytest.fixture(scope="module")
def contract_server() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


@schema.parametrize()
def test_mock_follows_the_contract(case: schemathesis.Case, contract_server: MockServer) -> None:
    case.call_and_validate(base_url=contract_server.url)


def test_stateful_links_from_create_to_get(contract_server: MockServer) -> None:
    class Links(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": contract_server.url}

    Links.run()
