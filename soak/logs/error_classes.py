"""What an error line is about, read from its ``error=`` text only, and which operation failed.

S3 status codes are taken only where the SDK prints them (``StatusCode: 503``, ``api error
SlowDown:``), never from bare numbers, so hex TXIDs (``0000000000000403``) and sizes
(``size=15003``) are never mistaken for HTTP statuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_STATUS = re.compile(r"(?:StatusCode|status code|http status)[:=]?\s*(\d{1,3})\b", re.IGNORECASE)
_API_CODE = re.compile(r"api error ([A-Za-z][A-Za-z0-9]*)")

# (class, substrings in the lowercased error text); first match wins, order matters.
_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("corruption", ("nonsequential page", "compaction gap", "malformed", "checksum mismatch", "corrupt")),
    ("disk_full", ("no space left", "disk full")),
    (
        "busy_locked",
        ("database is locked", "database is busy", "sqlite_busy", "sqlite_locked", "database table is locked"),
    ),
    ("connection_refused", ("connection refused",)),
    ("connection_reset", ("connection reset", "broken pipe", "unexpected eof", "server closed")),
    ("timeout", ("timeout", "timed out", "deadline exceeded")),
    ("dns", ("no such host",)),
    ("canceled", ("context canceled", "requestcanceled")),
)

# Operation a message belongs to, and the messages that prove the same operation later succeeded.
OPERATIONS: dict[str, str] = {
    "monitor error": "replicate",
    "sync error": "sync",
    "compaction failed": "compact",
    "retention enforcement failed": "retention",
    "l0 retention enforcement failed": "retention",
    "enforce L0 time retention": "retention",
    "shutdown sync failed, retrying": "shutdown_sync",
    "shutdown sync failed after timeout": "shutdown_sync",
    "Write failed": "load_write",
    "Read failed": "load_read",
}


@dataclass(frozen=True)
class Classified:
    cls: str  # e.g. "s3_503 SlowDown", "connection_refused", "busy_locked", "other"
    status: int | None
    api_code: str | None


def classify(error_text: str | None, message: str | None = None) -> Classified:
    """The class of an error from its ``error=`` text (falling back to the message)."""
    text = error_text or message or ""
    status_match = _STATUS.search(text)
    api_match = _API_CODE.search(text)
    status = int(status_match.group(1)) if status_match else None
    if status is not None and not 100 <= status <= 599:
        status = None  # "StatusCode: 0": the request never got a response (refused, reset, timeout)
    api_code = api_match.group(1) if api_match else None
    if status is not None or api_code is not None:
        label = "s3"
        if status is not None:
            label += f"_{status}"
        if api_code:
            label += f" {api_code}"
        return Classified(label, status, api_code)
    lower = text.lower()
    for cls, needles in _PATTERNS:
        if any(needle in lower for needle in needles):
            return Classified(cls, None, None)
    return Classified("other", None, None)


def operation(message: str | None, level: int | None = None) -> str:
    """The operation a failing message stands for; compaction is per LTX level."""
    op = OPERATIONS.get(message or "", "other")
    if op == "compact" and level is not None:
        return f"compact_l{level}"
    return op
