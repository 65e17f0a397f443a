"""The pinned GoReleaser's install: reused from the tools cache without network; one clear line without Go or proxy."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from common.errors import UserError
from release.build.goreleaser_tool import GORELEASER_VERSION, checked_goreleaser, ensure_goreleaser, goreleaser_binary
from tests.support.cli import assert_one_error_line
from tests.support.golit import TAG, clean_env, make_checkout, run_invoke, tools_dir


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_cached_install_is_reused_without_go_or_network(
    goreleaser: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    cached = goreleaser_binary(cache)
    cached.parent.mkdir(parents=True)
    cached.symlink_to(goreleaser)
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    monkeypatch.setenv("GOPROXY", "off")
    assert ensure_goreleaser(cache) == cached
    monkeypatch.setenv("LITESTREAM_TOOLS_CACHE", str(cache))
    assert checked_goreleaser() == cached  # and it reports the pinned version


def test_no_go_on_path_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    with pytest.raises(UserError, match=r"installed with Go, but `go` is not on PATH; install Go") as caught:
        ensure_goreleaser(tmp_path / "cache")
    assert "\n" not in str(caught.value)
    assert not goreleaser_binary(tmp_path / "cache").exists()


def test_unreachable_module_proxy_is_one_line_through_the_cli_and_leaves_nothing(tmp_path: Path) -> None:
    src = make_checkout(tmp_path / "src")
    cache = tmp_path / "cache"
    env = clean_env(
        LITESTREAM_TOOLS_CACHE=str(cache),
        GOPROXY=f"http://127.0.0.1:{closed_port()}",
        GOMODCACHE=str(tmp_path / "modcache"),
        GOFLAGS="-mod=mod",
        GOSUMDB="off",
    )
    proc = run_invoke("release.build", "--src", str(src), "--version", TAG, "--dist", str(tmp_path / "d"), env=env)
    assert_one_error_line(proc, f"installing GoReleaser {GORELEASER_VERSION} failed", "GOPROXY", "go install")
    home = cache / "goreleaser"
    assert [p.name for p in home.iterdir()] == [".install.lock"], "no partial install is left"


def test_release_build_without_go_is_one_line(tmp_path: Path) -> None:
    src = make_checkout(tmp_path / "src")
    bindir = tools_dir(tmp_path, "git")
    proc = run_invoke("release.build", "--src", str(src), "--version", TAG, env=clean_env(PATH=str(bindir)))
    assert_one_error_line(proc, "no `go` on PATH")
