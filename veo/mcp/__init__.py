"""``veo mcp``: this project's video tools for AI assistants, over the Model Context
Protocol (the official ``mcp`` SDK).

Needs the ``mcp`` extra (``pip install 'duomi-veo[mcp]'``); ``import veo`` never imports
it. The tools stand on the library and the command's ledger: a paid task is recorded
before anything else, never created twice by a retry, and the key is in no result, log
line or error. See ``docs/mcp.md``.
"""

from __future__ import annotations

from veo.mcp._server import VideoTools, build_server, serve

__all__ = ["VideoTools", "build_server", "serve"]
