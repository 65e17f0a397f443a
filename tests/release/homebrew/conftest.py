"""A published release on 127.0.0.1 for the formula and tap tests: every URL a formula names really answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.homebrew import ServedRelease, file_server, write_release


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedRelease]:
    """v0.5.16 served for the whole module; tests must not change its files (use ``own_release``)."""
    root = tmp_path_factory.mktemp("releases")
    directory = write_release(root)
    with file_server(root) as base:
        yield ServedRelease(base, directory)


@pytest.fixture
def own_release(tmp_path: Path) -> Iterator[ServedRelease]:
    """A release served for one test, which may change what it serves."""
    directory = write_release(tmp_path / "releases")
    with file_server(tmp_path / "releases") as base:
        yield ServedRelease(base, directory)
