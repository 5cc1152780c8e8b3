"""``veo check``: the live service tested against the effective spec.

Free by default: the probes never create a task. ``run_check(task_id=...)`` checks a
task you already have; ``run_check(spend=N)`` runs N real (billed) generations.

Needs the ``check`` extra (jsonschema, PyYAML); ``import veo`` never imports it.
"""

from veo._recording import RecordedExchange, Recording

try:
    from veo.check._run import CheckReport, CheckResult, SpendRun, run_check
    from veo.check._schema import Drift
except ModuleNotFoundError as _error:
    from veo.cli import missing_extra as _missing_extra

    _fix = _missing_extra(_error, "check")
    if _fix is None:
        raise
    raise ModuleNotFoundError(
        f"veo.check needs the check extra: {_fix}", name=_error.name
    ) from None

__all__ = [
    "CheckReport",
    "CheckResult",
    "Drift",
    "RecordedExchange",
    "Recording",
    "SpendRun",
    "run_check",
]
