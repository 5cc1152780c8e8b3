"""``veo validate``: the exact body that would be sent, or every problem."""

from __future__ import annotations

from veo.cli._command import command
from veo.cli._options import JsonOpt
from veo.cli._output import emit_json
from veo.cli._request import RequestArgs
from veo.cli._uploads import Uploads, planned, tell


@command
def validate(*, request: RequestArgs, uploads: Uploads, as_json: JsonOpt = False) -> None:
    """Print the exact JSON body that would be sent, or every problem. No network.

    With --upload, local images are checked and what would be uploaded where is said
    (nothing is uploaded); the body holds their places with a stand-in URL.
    """
    built, body = request.build(uploading=uploads.upload is not None)
    plans = tell(planned(built), uploads) if uploads.upload is not None else []
    if as_json:
        emit_json({"valid": True, "body": body, **({"uploads": plans} if plans else {})})
    else:
        emit_json(body)
