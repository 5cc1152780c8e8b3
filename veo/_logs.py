"""``VEO_LOG``: turn on the ``veo`` logger from the environment, as ``OPENAI_LOG`` does.

``veo`` logs to the ``veo`` logger (and never the key): INFO for what happens to a task
(created, a retry, a failed poll), DEBUG for every HTTP exchange (method, host and
path, status, attempt, time taken, request id). Python's logging shows none of it
until asked; ``VEO_LOG=info`` or ``VEO_LOG=debug``, read when a client is built, gives
the logger that level and a handler on stderr (``veo -v``/``-vv`` does the same for the
command).
"""

from __future__ import annotations

import logging
import os
import sys
import warnings

__all__ = ["LEVELS", "enable_logging", "logging_from_env"]

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
FORMAT = "[%(asctime)s %(levelname)s %(name)s] %(message)s"
_HANDLER_NAME = "veo.VEO_LOG"


def enable_logging(level: int, handler: logging.Handler | None = None) -> None:
    """Set the ``veo`` logger to ``level`` with a handler (stderr unless given), once.

    Called again, it only lowers the level: the first handler stays.
    """
    logger = logging.getLogger("veo")
    if logger.level == logging.NOTSET or level < logger.level:
        logger.setLevel(level)
    if any(h.get_name() == _HANDLER_NAME for h in logger.handlers):
        return
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
    handler.set_name(_HANDLER_NAME)
    logger.addHandler(handler)


def logging_from_env() -> int | None:
    """The level ``VEO_LOG`` asks for (None: unset), turned on; a value it does not
    know is a warning, not an error (a log switch must not stop a paid job)."""
    value = os.environ.get("VEO_LOG", "").strip().lower()
    if not value:
        return None
    level = LEVELS.get(value)
    if level is None:
        warnings.warn(f"VEO_LOG={value!r} is not one of {', '.join(LEVELS)}; ignored", stacklevel=3)
        return None
    enable_logging(level)
    return level
