"""Installing the fault tools: a missing Go, an offline module proxy or PyPI each give one line with the fix."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from common.errors import UserError
from soak.faults.http_errors import ensure_mitmdump, mitmdump_binary
from soak.faults.toxiproxy import ensure_toxiproxy, toxiproxy_binary


def test_go_missing_from_path_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UserError) as caught:
        ensure_toxiproxy(tmp_path / "cache")
    line = caught.value.line()
    assert "`go` is not on PATH; install Go" in line and "\n" not in line
    assert not (tmp_path / "cache" / "toxiproxy").exists() or not toxiproxy_binary(tmp_path / "cache").exists()


def test_go_install_failure_names_the_fix_and_leaves_no_half_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOPROXY", "off")
    monkeypatch.setenv("GOMODCACHE", str(tmp_path / "empty-modcache"))
    monkeypatch.setenv("GOFLAGS", "-modcacherw")
    with pytest.raises(UserError) as caught:
        ensure_toxiproxy(tmp_path / "cache")
    line = caught.value.line()
    assert line.startswith("installing Toxiproxy v2.12.0 failed:") and "GOPROXY" in line and "\n" not in line
    assert not toxiproxy_binary(tmp_path / "cache").exists()
    left = [p.name for p in (tmp_path / "cache" / "toxiproxy").iterdir()]
    assert left == [".install.lock"], "no staging directory left, only the install lock (common.tools.go_install)"


def test_pip_install_failure_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "1")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    with pytest.raises(UserError) as caught:
        ensure_mitmdump(tmp_path / "cache")
    line = caught.value.line()
    assert line.startswith("installing mitmproxy 11.0.2 failed:") and "PyPI" in line and "\n" not in line
    assert not mitmdump_binary(tmp_path / "cache").exists()


def test_cache_dir_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from common.tools import tools_cache_dir

    monkeypatch.setenv("LITESTREAM_TOOLS_CACHE", str(tmp_path))
    assert tools_cache_dir() == tmp_path.resolve()
    monkeypatch.delenv("LITESTREAM_TOOLS_CACHE")
    assert tools_cache_dir() == (Path(os.path.expanduser("~")) / ".cache" / "litestream-release-tools").resolve()
