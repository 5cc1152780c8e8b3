"""``veo validate``: the exact body that would be sent, or every problem."""

from __future__ import annotations

from veo.cli._command import command
from veo.cli._options import JsonOpt
from veo.cli._output import emit_json
from veo.cli._request import RequestArgs


@command
def validate(*, request: RequestArgs, as_json: JsonOpt = False) -> None:
    """Print the exact JSON body that would be sent, or every problem. No network."""
    _, body = request.build()
    emit_json({"valid": True, "body": body} if as_json else body)
