"""The video request on the command line, one option per field of the spec's request.

The options of ``veo generate`` and ``veo validate`` are made from
``veo_api.request_fields.FIELDS`` (written by ``make gen``): a field the spec adds
becomes an option, an enum field's option takes its values as choices, and the help
is the spec's description. Only the CLI's own words are written here: two fields go
by shorter names on the command line (``--image``, ``--type``).
"""

from __future__ import annotations

import inspect
import types
import warnings
from collections.abc import Mapping
from typing import Annotated, Any

import attrs
import typer

from veo._models import VideoRequest
from veo.cli._output import stderr
from veo.cli._uploads import held
from veo_api.request_fields import FIELDS, RequestField

__all__ = ["RequestArgs"]

FLAGS: Mapping[str, str] = {"image_urls": "--image", "generation_type": "--type"}
"""Fields whose option is not ``--`` + the field's name with dashes."""
METAVARS: Mapping[str, str] = {"image_urls": "URL", "generation_type": "TYPE"}
PROMPT = inspect.Parameter(
    "prompt",
    inspect.Parameter.KEYWORD_ONLY,
    annotation=Annotated[str, typer.Argument(help="What the video shows.", metavar="PROMPT")],
)
_PYTHON_TYPES: Mapping[str, type] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
}


def _flag(field: RequestField) -> str:
    return FLAGS.get(field.name, "--" + field.name.replace("_", "-"))


def _help(field: RequestField) -> str:
    text = field.description or field.name
    if field.json_type == "array":
        most = f" (at most {field.max_items})" if field.max_items is not None else ""
        text += f" Repeat the option for more{most}."
    return text


def _option(field: RequestField) -> inspect.Parameter | None:
    """The option for ``field``, or None for a type the command line cannot spell."""
    settings: dict[str, Any] = {"help": _help(field), "show_default": False}
    if field.name in METAVARS:
        settings["metavar"] = METAVARS[field.name]
    annotation: Any
    if field.values is not None:
        # The choices are shown in the help; a value outside them is refused by the
        # request's own check, which names the field and the choices (and speaks JSON
        # with --json) like every other broken rule.
        settings.setdefault("metavar", f"[{'|'.join(str(value) for value in field.values)}]")
        annotation = str | None
    elif field.json_type == "array" and field.items is not None and field.items in _PYTHON_TYPES:
        annotation = types.GenericAlias(list, (_PYTHON_TYPES[field.items],)) | None
    elif field.json_type in _PYTHON_TYPES:
        annotation = _PYTHON_TYPES[field.json_type] | None
    else:
        return None  # an object: a batch line or extra_body= in Python can carry it
    return inspect.Parameter(
        field.name,
        inspect.Parameter.KEYWORD_ONLY,
        annotation=Annotated[annotation, typer.Option(_flag(field), **settings)],
        default=None,
    )


def _value(field: RequestField, given: Any) -> Any:
    """An option's text as the field's value: an enum's value of another type (a
    duration of ``8``) is found by its text; anything else goes on to be checked."""
    if field.values is not None:
        return next((value for value in field.values if str(value) == given), given)
    return given


OPTIONS: tuple[tuple[RequestField, inspect.Parameter], ...] = tuple(
    (field, option)
    for field in FIELDS
    if field.name != "prompt" and (option := _option(field)) is not None
)


@attrs.frozen
class RequestArgs:
    """The video request on the command line: the prompt and one option per field."""

    prompt: str
    fields: Mapping[str, Any] = attrs.field(factory=dict)

    @staticmethod
    def parameters() -> list[inspect.Parameter]:
        """The command's parameters for the request, as Typer reads them."""
        return [PROMPT, *(option for _, option in OPTIONS)]

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> RequestArgs:
        """Take the request's options out of a command's keyword arguments."""
        prompt = options.pop("prompt")
        fields = {}
        for field, option in OPTIONS:
            given = options.pop(option.name)
            if given is not None and given != []:
                fields[field.name] = _value(field, given)
        return cls(prompt, fields)

    def build(self, *, uploading: bool = False) -> tuple[VideoRequest, dict[str, Any]]:
        """Build and check the request; print warnings; return it with its exact body.
        ``uploading``: local images will be uploaded (``--upload``), and hold their places
        in the body with a stand-in URL."""
        request = VideoRequest(self.prompt, **self.fields)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            body = (held(request) if uploading else request).to_body()
        for warning in caught:
            stderr.print(f"warning: {warning.message}", markup=False)
        return request, body
