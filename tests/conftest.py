"""Shared fixtures: a real Litestream on every machine (tests/support/litestream.py), the checkout that only the
tests of ``invoke build`` and ``release.build`` need, and no colour in what the tests read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from common.errors import UserError
from tests.support.litestream import RealLitestream, real_litestream

# The tests read what the tasks print through pipes. A CI that forces colour on for every program (FORCE_COLOR for
# rich, CLICOLOR_FORCE for Go tools) would put escape codes between the words they look for, so the tests and every
# process they start run with colour off, as a pipe normally gets it.
for _forced in ("FORCE_COLOR", "CLICOLOR_FORCE"):
    os.environ.pop(_forced, None)
os.environ["NO_COLOR"] = "1"


@pytest.fixture
def litestream_src() -> Path:
    """The real Litestream git checkout, or a skip that says why it is needed and how to provide one."""
    src = os.environ.get("LITESTREAM_SRC")
    why = "needs a git checkout of Litestream (tags, dirty state), which CI does not have"
    if not src:
        pytest.skip(f"{why}: set LITESTREAM_SRC to a Litestream clone (e.g. at tag v0.5.16)")
    path = Path(src)
    if not (path / "go.mod").is_file():
        pytest.skip(f"{why}: LITESTREAM_SRC={src} is not a Go module checkout")
    return path


@pytest.fixture(scope="session")
def litestream(tmp_path_factory: pytest.TempPathFactory) -> RealLitestream:
    """Real litestream and litestream-test: LITESTREAM_BIN_DIR, else a build of LITESTREAM_SRC, else the pinned
    release from the Go module proxy (installed once per machine into the release cache, as --litestream does)."""
    try:
        return real_litestream(tmp_path_factory.mktemp("litestream"))
    except UserError as exc:
        pytest.fail(f"a real Litestream is needed for this test and could not be installed: {exc}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that use the ``litestream`` fixture go last (stable order otherwise): on a fresh machine CI installs the
    pinned release in the background meanwhile (.ci/run), and the fixture waits for that install's lock."""
    needs = [item for item in items if "litestream" in getattr(item, "fixturenames", ())]
    if needs:
        items[:] = [item for item in items if item not in needs] + needs
