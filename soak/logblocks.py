"""Reading logs of any size in constant memory: large blocks, whole lines, garbage tolerated.

A block always ends on a newline; the partial line after it is carried into the next block. A
"line" longer than MAX_LINE (binary garbage without newlines) is dropped and counted, so memory stays
bounded whatever the file holds. The last line may be truncated (the writer was killed): it is still
handed out, and parsers must tolerate that.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from common.errors import UserError

BLOCK_SIZE = 8 * 1024 * 1024
MAX_LINE = 1024 * 1024


class BlockReader:
    """Iterate over newline-terminated blocks of a file; counts lines, bytes and dropped garbage."""

    def __init__(self, path: Path, block_size: int | None = None) -> None:
        self.path = path
        self.block_size = block_size or BLOCK_SIZE
        self.bytes_read = 0
        self.lines = 0
        self.dropped_bytes = 0
        self.truncated_last_line = False

    def blocks(self) -> Iterator[bytes]:
        carry = b""
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
                    break
                self.bytes_read += len(chunk)
                data = carry + chunk if carry else chunk
                cut = data.rfind(b"\n")
                if cut < 0:
                    carry = data
                    if len(carry) > MAX_LINE:
                        self.dropped_bytes += len(carry)
                        carry = b""
                    continue
                carry = data[cut + 1 :]
                if len(carry) > MAX_LINE:
                    self.dropped_bytes += len(carry)
                    carry = b""
                block = data[: cut + 1]
                self.lines += block.count(b"\n")
                yield block
        if carry:
            self.truncated_last_line = True
            self.lines += 1
            yield carry + b"\n"


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
