"""Schemathesis hooks for the mock's contract suite (pytest and ``make fuzz``)."""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis import GenerationMode

from veo._rules import resolve_body


@schemathesis.hook("filter_case")
def follows_the_mode_rules(context: schemathesis.HookContext, case: Any) -> bool:
    """Drop positive create cases that break a rule the schema cannot express.

    Such bodies are valid for the schema but not for the service (REFERENCE with 9:16,
    FIRST&LAST without images, ...): the mock rightly answers 400, which
    ``positive_data_acceptance`` would report. ``test_rules_on_mock.py`` shows the 400s.
    """
    operation = context.operation
    if operation is None or operation.method.upper() != "POST":
        return True
    meta = getattr(case, "meta", None)
    if meta is None or meta.generation.mode is not GenerationMode.POSITIVE:
        return True
    body = case.body
    return not isinstance(body, dict) or not resolve_body(body).problems
