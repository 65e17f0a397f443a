"""Shared fixtures: a real Litestream checkout when LITESTREAM_SRC names one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


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
