"""Reading logs of any size in constant memory: large blocks, whole lines, garbage tolerated.

A block always ends on a newline; the partial line after it is read again with the next block. A
"line" longer than a whole block (binary garbage without newlines) is dropped and counted, so memory
stays bounded whatever the file holds. The last line may be truncated (the writer was killed): it is still
handed out, and parsers must tolerate that.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from common.errors import UserError

BLOCK_SIZE = 4 * 1024 * 1024


class BlockReader:
    """Iterate over newline-terminated blocks of a file; counts lines, bytes and dropped garbage."""

    def __init__(self, path: Path, block_size: int | None = None, *, count_lines: bool = True) -> None:
        self.path = path
        self.block_size = block_size or BLOCK_SIZE
        self.count_lines = count_lines  # one more full pass per block: off for multi-GB logs
        self.bytes_read = 0
        self.lines = 0
        self.dropped_bytes = 0
        self.truncated_last_line = False

    def blocks(self) -> Iterator[bytes]:
        try:
            handle = self.path.open("rb")
        except OSError as exc:
            raise UserError(f"cannot read {self.path}: {exc.strerror}; check the file's permissions", code=2) from None
        with handle:
            while True:
                try:
                    chunk = handle.read(self.block_size)
                except OSError as exc:
                    raise UserError(f"cannot read {self.path}: {exc.strerror}", code=2) from None
                if not chunk:
                    return
                self.bytes_read += len(chunk)
                cut = chunk.rfind(b"\n")
                if cut < 0:
                    if len(chunk) < self.block_size:  # the file ends in a line without newline
                        self.truncated_last_line = True
                        self.lines += 1
                        yield chunk + b"\n"
                        return
                    self._skip_long_line(handle)
                    continue
                if cut + 1 < len(chunk):
                    # Re-read the partial last line with the next block (no concatenation copies).
                    handle.seek(cut + 1 - len(chunk), 1)
                    self.bytes_read -= len(chunk) - cut - 1
                    chunk = chunk[: cut + 1]
                if self.count_lines:
                    self.lines += chunk.count(b"\n")
                yield chunk

    def _skip_long_line(self, handle: BinaryIO) -> None:
        """A block without any newline: garbage, not a log line. Drop it up to the next newline."""
        self.dropped_bytes += self.block_size
        while True:
            data = handle.read(self.block_size)
            if not data:
                return
            self.bytes_read += len(data)
            cut = data.find(b"\n")
            if cut < 0:
                self.dropped_bytes += len(data)
                continue
            handle.seek(cut + 1 - len(data), 1)
            self.bytes_read -= len(data) - cut - 1
            self.dropped_bytes += cut + 1
            return


def iter_lines(path: Path) -> Iterator[bytes]:
    """Every line of a (small or large) file, without its newline, in order."""
    reader = BlockReader(path)
    for block in reader.blocks():
        yield from block.splitlines()


def line_around(block: bytes, pos: int) -> tuple[int, bytes]:
    """The line of ``block`` containing byte ``pos`` and the offset where the next line starts."""
    start = block.rfind(b"\n", 0, pos) + 1
    end = block.find(b"\n", pos)
    if end < 0:
        end = len(block)
    return end + 1, block[start:end]
