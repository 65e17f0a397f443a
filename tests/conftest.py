"""Shared fixtures: a real Litestream checkout when LITESTREAM_SRC names one; no colour in what tests read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The tests read what the tasks print through pipes. A CI that forces colour on for every program (FORCE_COLOR for
# rich, CLICOLOR_FORCE for Go tools) would put escape codes between the words they look for, so the tests and every
# process they start run with colour off, as a pipe normally gets it.
for _forced in ("FORCE_COLOR", "CLICOLOR_FORCE"):
    os.environ.pop(_forced, None)
os.environ["NO_COLOR"] = "1"


@pytest.fixture
def litestream_src() -> Path:
    """The real Litestream checkout, or a skip that says how to provide one."""
    src = os.environ.get("LITESTREAM_SRC")
    if not src:
        pytest.skip("LITESTREAM_SRC is not set: point it at a Litestream checkout (e.g. tag v0.5.16)")
    path = Path(src)
    if not (path / "go.mod").is_file():
        pytest.skip(f"LITESTREAM_SRC={src} is not a Go module checkout")
    return path
