"""The pinned GoReleaser for the release tests, and the order that keeps its cold install off the critical path.

A cold ``go install`` of GoReleaser takes minutes, so ``.ci/run`` starts it in the background before the tests;
the fixture takes the same install lock (``ensure_goreleaser``), so it waits for that build instead of starting
a second one, and the tests that need it run last, after everything else has had the CPU.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import UserError
from release.build.goreleaser_tool import checked_goreleaser

GORELEASER_FIXTURE = "goreleaser"


@pytest.fixture(scope="session")
def goreleaser() -> Path:
    """The pinned GoReleaser binary from the tools cache, installed (or waited for) on first use."""
    try:
        return checked_goreleaser()
    except UserError as exc:
        pytest.fail(f"GoReleaser is needed for this test and could not be installed: {exc}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that use the ``goreleaser`` fixture go last (stable order otherwise)."""
    needs = [item for item in items if GORELEASER_FIXTURE in getattr(item, "fixturenames", ())]
    if needs:
        rest = [item for item in items if GORELEASER_FIXTURE not in getattr(item, "fixturenames", ())]
        items[:] = rest + needs
