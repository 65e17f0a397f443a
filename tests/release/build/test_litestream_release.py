"""``soak.overnight --litestream vX.Y.Z|latest``: a released Litestream from the real Go module proxy, installed
once per version into the release cache, reused there without network; each bad input is one error line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from common.errors import UserError
from common.processes import free_port
from release.build.litestream_release import MODULE, ensure_release, install_release, newest_release, resolve_version
from tests.support.cli import assert_one_error_line, run_invoke
from tests.support.litestream import RealLitestream

needs_go = pytest.mark.skipif(shutil.which("go") is None, reason="needs go")


def _cache_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An empty release cache (XDG_CACHE_HOME) for the run under test."""
    return {"XDG_CACHE_HOME": str(tmp_path / "xdg"), **extra}


def _unreachable_proxy(tmp_path: Path) -> dict[str, str]:
    """GOPROXY at a closed loopback port, nothing in an empty module cache to fall back on."""
    return {
        "GOPROXY": f"http://127.0.0.1:{free_port()}",
        "GOFLAGS": "-mod=mod",
        "GOMODCACHE": str(tmp_path / "empty-gomod"),
        "GONOSUMDB": MODULE,
        "GOSUMDB": "off",
    }


def _path_without_go(tmp_path: Path) -> str:
    """PATH with every directory that holds ``go`` left out (python and the rest stay)."""
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and not (Path(d) / "go").exists()]
    return os.pathsep.join(dirs)


# --- bad input: one line each -------------------------------------------------------------------------------------


@needs_go
def test_a_version_the_proxy_does_not_list_names_the_newest_it_does(tmp_path: Path) -> None:
    newest = subprocess.run(
        ["go", "list", "-m", "-json", f"{MODULE}@latest"], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    expected = json.loads(newest.stdout)["Version"]
    proc = run_invoke("soak.overnight", "--litestream", "v0.5.999", env=_cache_env(tmp_path), timeout=180)
    assert_one_error_line(proc, "--litestream v0.5.999", "does not list", f"the newest it lists is {expected}")
    assert not (tmp_path / "xdg" / "litestream-release-tools" / "litestream" / "v0.5.999").exists()


def test_no_go_on_path_with_nothing_cached(tmp_path: Path) -> None:
    env = _cache_env(tmp_path, PATH=_path_without_go(tmp_path))
    proc = run_invoke("soak.overnight", "--litestream", "v0.5.16", env=env, timeout=120)
    assert_one_error_line(proc, "`go` is not on PATH", "install Go", "--src/--bin")


@needs_go
def test_proxy_unreachable_with_nothing_cached(tmp_path: Path) -> None:
    env = _cache_env(tmp_path, **_unreachable_proxy(tmp_path))
    proc = run_invoke("soak.overnight", "--litestream", "v0.5.16", env=env, timeout=180)
    line = assert_one_error_line(proc, "cannot list Litestream's versions", env["GOPROXY"], "nothing is cached")
    assert "connection refused" in line, line
    latest = run_invoke("soak.overnight", "--litestream", "latest", env=env, timeout=180)
    assert_one_error_line(latest, "cannot list Litestream's versions", "check the network and GOPROXY")


@needs_go
def test_a_password_in_goproxy_is_masked_in_the_error_line(tmp_path: Path) -> None:
    proxy = _unreachable_proxy(tmp_path)
    proxy["GOPROXY"] = proxy["GOPROXY"].replace("http://", "http://proxyuser:proxy-password-123@")
    proc = run_invoke("soak.overnight", "--litestream", "v0.5.16", env=_cache_env(tmp_path, **proxy), timeout=180)
    line = assert_one_error_line(proc, "cannot list Litestream's versions", "proxyuser:***@127.0.0.1")
    assert "proxy-password-123" not in proc.stdout + proc.stderr, line


@pytest.mark.parametrize(
    "flags",
    [
        ["--src", "../litestream", "--litestream", "v0.5.16"],
        ["--bin", "bin", "--litestream", "latest"],
        ["--src", "../litestream", "--bin", "bin"],
        ["--src", "../litestream", "--bin", "bin", "--litestream", "v0.5.16"],
    ],
    ids=["src+litestream", "bin+litestream", "src+bin", "all-three"],
)
def test_two_of_src_bin_litestream_is_one_line(flags: list[str], tmp_path: Path) -> None:
    proc = run_invoke("soak.overnight", *flags, env=_cache_env(tmp_path), timeout=120)
    given = [flag for flag in flags if flag.startswith("--")]
    assert_one_error_line(proc, " and ".join(given), "give exactly one of --src DIR", "--litestream vX.Y.Z|latest")


def test_a_malformed_version_is_one_line(tmp_path: Path) -> None:
    proc = run_invoke("soak.overnight", "--litestream", "0.5.16", env=_cache_env(tmp_path), timeout=120)
    assert_one_error_line(proc, "--litestream '0.5.16' is not of the form vMAJOR.MINOR.PATCH")


# --- resolving and the cache ---------------------------------------------------------------------------------------


@needs_go
def test_latest_is_the_newest_release_the_proxy_lists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    listed = subprocess.run(
        ["go", "list", "-m", "-versions", MODULE], capture_output=True, text=True, check=True, cwd=tmp_path
    ).stdout.split()[1:]
    latest = json.loads(
        subprocess.run(
            ["go", "list", "-m", "-json", f"{MODULE}@latest"], capture_output=True, text=True, check=True, cwd=tmp_path
        ).stdout
    )["Version"]
    assert resolve_version("latest") == latest == newest_release(listed)
    assert resolve_version("v0.5.15") == "v0.5.15"  # listed, not cached: asked and found


def test_newest_release_ignores_prereleases() -> None:
    assert newest_release(["v0.3.14", "v0.5.3-beta3", "v0.5.3", "v0.5.12", "v0.5.9", "v0.6.0-rc1"]) == "v0.5.12"
    assert newest_release(["v0.6.0-rc1"]) is None


def test_a_cached_release_is_reused_without_network_or_go(
    litestream: RealLitestream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fixture's real binaries placed as the cache's v0.5.16; no go on PATH, GOPROXY closed: still found."""
    if litestream.origin != "release":
        pytest.skip("LITESTREAM_SRC/LITESTREAM_BIN_DIR given: the fixture's binaries are not a release install")
    cache = tmp_path / "cache"
    shutil.copytree(litestream.bin_dir, cache / litestream.version)
    monkeypatch.setenv("PATH", _path_without_go(tmp_path))
    for key, value in _unreachable_proxy(tmp_path).items():
        monkeypatch.setenv(key, value)
    installed = ensure_release(litestream.version, cache, say=False)
    assert installed.cached and installed.bin_dir == cache / litestream.version
    with pytest.raises(UserError, match="`go` is not on PATH"):
        ensure_release("v0.5.15", cache, say=False)  # not cached: needs go


def test_latest_falls_back_to_the_newest_cached_release_when_the_proxy_is_down(
    litestream: RealLitestream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if litestream.origin != "release" or shutil.which("go") is None:
        pytest.skip("needs go and the release install of the fixture")
    cache = tmp_path / "cache"
    shutil.copytree(litestream.bin_dir, cache / litestream.version)
    for key, value in _unreachable_proxy(tmp_path).items():
        monkeypatch.setenv(key, value)
    assert resolve_version("latest", cache) == litestream.version
    assert f"using the newest cached release, {litestream.version}" in capsys.readouterr().out


@needs_go
def test_a_failed_install_leaves_nothing_that_looks_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in _unreachable_proxy(tmp_path).items():
        monkeypatch.setenv(key, value)
    cache = tmp_path / "cache"
    with pytest.raises(UserError, match=r"go install github.com/benbjohnson/litestream/cmd/litestream@v0.5.17` failed"):
        install_release("v0.5.17", cache, say=False)
    assert [p.name for p in cache.iterdir() if not p.name.startswith(".install")] == []


def test_the_installed_release_prints_its_version(litestream: RealLitestream) -> None:
    """What --litestream installed passed the same version check as `invoke build`: each binary says its tag."""
    if litestream.origin != "release":
        pytest.skip("LITESTREAM_SRC/LITESTREAM_BIN_DIR given: not a release install")
    out = subprocess.run([str(litestream.litestream), "version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == litestream.version
    out = subprocess.run([str(litestream.litestream_test), "version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[0] == f"litestream-test {litestream.version}"
    meta = json.loads((litestream.bin_dir / "release.json").read_text())
    assert meta["module"] == MODULE and meta["version"] == litestream.version
