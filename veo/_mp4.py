"""Is an MP4 whole? Its top-level boxes, walked as the bytes stream past.

An MP4 file is a sequence of boxes, each starting with its size. A body cut short
(a connection closed early, with no ``Content-Length`` to tell) ends inside a box;
a whole file ends exactly where its last box does. The check reads only the box
headers out of the chunks it is given, so it costs nothing that grows with the video.
"""

from __future__ import annotations

import struct

__all__ = ["Mp4Check"]

_HEADER = 8
_LARGE_HEADER = 16


class Mp4Check:
    """Feed it every chunk of a body; ask :meth:`problem` at the end.

    Bodies that do not start with an ``ftyp`` box are not MP4 and always pass.
    """

    def __init__(self) -> None:
        self._is_mp4: bool | None = None  # None: fewer than 8 bytes seen so far
        self._seen = 0  # bytes fed so far
        self._box_end = 0  # where the current box ends (the next header starts)
        self._head = b""  # the part of a box header seen so far
        self._to_end = False  # a size-0 box: it runs to the end of the file
        self._broken: str | None = None
        self.boxes: list[str] = []
        """The type of each top-level box seen so far (``ftyp``, ``moov``, ``mdat``)."""

    def feed(self, chunk: bytes) -> None:
        """Take the next chunk of the body."""
        position, size = 0, len(chunk)
        while position < size and self._is_mp4 is not False and not self._broken:
            if self._to_end:
                break
            inside = self._box_end - (self._seen + position)
            if inside > 0:  # in a box's payload: skip to its end
                position += min(inside, size - position)
                continue
            wanted = self._header_length() - len(self._head)
            self._head += chunk[position : position + wanted]
            position += wanted
            if len(self._head) == self._header_length():
                self._read_header(self._seen + position - len(self._head))
        self._seen += size

    def _header_length(self) -> int:
        if len(self._head) >= 4 and self._head[:4] == b"\x00\x00\x00\x01":
            return _LARGE_HEADER
        return _HEADER

    def _read_header(self, start: int) -> None:
        declared, kind = struct.unpack(">I4s", self._head[:_HEADER])
        if self._is_mp4 is None:
            self._is_mp4 = kind == b"ftyp"
            if not self._is_mp4:
                return
        self.boxes.append(kind.decode("latin-1"))
        if declared == 1:
            declared = struct.unpack(">Q", self._head[_HEADER:_LARGE_HEADER])[0]
        if declared == 0:
            self._to_end = True
        elif declared < len(self._head):
            self._broken = f"box {kind!r} at byte {start} declares an impossible size {declared}"
        else:
            self._box_end = start + declared
        self._head = b""

    def problem(self) -> str | None:
        """Why the bytes fed so far are not a whole MP4, or None."""
        if not self._is_mp4:
            return None
        if self._broken:
            return self._broken
        if self._head:
            return f"the file ends inside a box header at byte {self._seen - len(self._head)}"
        if not self._to_end and self._box_end > self._seen:
            return (
                f"the last box runs to byte {self._box_end} but the file ends at byte {self._seen}"
            )
        return None
