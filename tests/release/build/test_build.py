"""``invoke build``: both binaries built by the real Go toolchain, version injected and checked, cgo split."""

from __future__ import annotations

import inspect
import subprocess
from pathlib import Path

import pytest

import tasks
from common.errors import UserError
from release.build.checkout import open_checkout
from release.build.dev_build import run_dev_build
from release.build.toolchain import build_settings, check_c_compiler
from tests.support.cli import assert_one_error_line
from tests.support.golit import TAG, break_go_file, clean_env, git, make_checkout, run_invoke, tools_dir


def version_lines(binary: Path) -> list[str]:
    return subprocess.run([str(binary), "version"], capture_output=True, text=True, check=True).stdout.splitlines()


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_checkout(tmp_path_factory.mktemp("golit") / "src")


@pytest.fixture(scope="module")
def built(checkout: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ``invoke build`` through the CLI, shared by the assertions below."""
    out = tmp_path_factory.mktemp("bin")
    proc = run_invoke("build", "--src", str(checkout), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


def test_build_injects_describe_version_into_both_binaries(checkout: Path, built: Path) -> None:
    assert version_lines(built / "litestream") == [TAG]
    sha = open_checkout(checkout).head_sha
    assert version_lines(built / "litestream-test")[:2] == [f"litestream-test {TAG}", f"commit: {sha}"]


def test_build_splits_cgo_litestream_off_litestream_test_on(built: Path) -> None:
    assert build_settings(built / "litestream")["CGO_ENABLED"] == "0"
    assert build_settings(built / "litestream-test")["CGO_ENABLED"] == "1"
    # The fixture's litestream-test calls into C: it only runs because cgo was on.
    assert "cgo: 42" in version_lines(built / "litestream-test")


def test_build_injects_an_explicit_version(checkout: Path, tmp_path: Path) -> None:
    job = run_dev_build(checkout, tmp_path / "out", "v1.2.3-rc1")
    assert version_lines(tmp_path / "out" / "litestream") == ["v1.2.3-rc1"]
    assert version_lines(tmp_path / "out" / "litestream-test")[0] == "litestream-test v1.2.3-rc1"
    assert job.timings.keys() >= {"build-litestream", "build-litestream-test", "verify-versions"}


def test_default_version_is_git_describe_with_dirty(tmp_path: Path) -> None:
    src = make_checkout(tmp_path / "src")
    (src / "README.md").write_text("changed\n")
    git(src, "commit", "-q", "-am", "after the tag")
    (src / "LICENSE").write_text("modified, not committed\n")
    job = run_dev_build(src, tmp_path / "out")
    assert job.version.startswith(f"{TAG}-1-g") and job.version.endswith("-dirty")
    assert version_lines(tmp_path / "out" / "litestream") == [job.version]


def test_failed_go_build_shows_go_output_and_keeps_out(tmp_path: Path) -> None:
    src = make_checkout(tmp_path / "src")
    break_go_file(src, "litestream-test")
    out = tmp_path / "bin"
    out.mkdir()
    (out / "litestream").write_text("old litestream")
    (out / "litestream-test").write_text("old litestream-test")
    line = assert_one_error_line(
        run_invoke("build", "--src", str(src), "--out", str(out)),
        "go build ./cmd/litestream-test failed",
        "cmd/litestream-test/main.go:34",  # go's own error line, with the place it points at
        f"{out} left as it was",
    )
    assert "Traceback" not in line
    # litestream itself built fine, but neither file in bin/ changed and no scratch files were left behind.
    assert (out / "litestream").read_text() == "old litestream"
    assert (out / "litestream-test").read_text() == "old litestream-test"
    assert sorted(p.name for p in out.iterdir()) == ["litestream", "litestream-test"]
    assert not list(tmp_path.glob(".litestream-build-*"))


def test_no_go_on_path(checkout: Path, tmp_path: Path) -> None:
    env = clean_env(PATH=str(tools_dir(tmp_path, "git")))
    assert_one_error_line(run_invoke("build", "--src", str(checkout), env=env), "no `go` on PATH", "install Go")


def test_out_is_a_file(checkout: Path, tmp_path: Path) -> None:
    (tmp_path / "bin").write_text("not a directory")
    assert_one_error_line(
        run_invoke("build", "--src", str(checkout), "--out", str(tmp_path / "bin")), "is a file, not a directory"
    )
    assert (tmp_path / "bin").read_text() == "not a directory"


def test_no_git_on_path(checkout: Path, tmp_path: Path) -> None:
    env = clean_env(PATH=str(tools_dir(tmp_path, "go")))
    assert_one_error_line(run_invoke("build", "--src", str(checkout), env=env), "no `git` on PATH")


def test_go_older_than_go_mod(tmp_path: Path) -> None:
    src = make_checkout(tmp_path / "src", go_line="1.99.0")
    assert_one_error_line(
        run_invoke("build", "--src", str(src), "--out", str(tmp_path / "out")),
        "older than go 1.99.0",
        "install Go >= 1.99.0",
    )
    assert not (tmp_path / "out").exists()


def test_src_missing(tmp_path: Path) -> None:
    assert_one_error_line(run_invoke("build", "--src", str(tmp_path / "nope")), "does not exist", "--src")


def test_no_src_given_anywhere() -> None:
    assert_one_error_line(run_invoke("build"), "no Litestream checkout given", "LITESTREAM_SRC")


def test_src_is_not_a_litestream_checkout(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "go.mod").write_text("module example.com/other\n\ngo 1.22.0\n")
    assert_one_error_line(run_invoke("build", "--src", str(other)), "not a Litestream checkout", "example.com/other")
    with pytest.raises(UserError, match=r"it has no go\.mod"):
        open_checkout(tmp_path)


def test_src_without_git_is_refused(tmp_path: Path, checkout: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "go.mod").write_bytes((checkout / "go.mod").read_bytes())
    with pytest.raises(UserError, match="not a git repository"):
        open_checkout(plain)


def test_no_c_compiler_cc_names_missing_program(checkout: Path, tmp_path: Path) -> None:
    env = clean_env(PATH=str(tools_dir(tmp_path, "go", "git")), CC=str(tmp_path / "missing-cc"))
    assert_one_error_line(run_invoke("build", "--src", str(checkout), env=env), "CC=", "not a program", "cgo")


def test_no_c_compiler_on_path(checkout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = clean_env(PATH=str(tools_dir(tmp_path, "go", "git")))
    assert_one_error_line(
        run_invoke("build", "--src", str(checkout), env=env), "no C compiler", "install gcc", "litestream-test"
    )
    monkeypatch.setenv("PATH", env["PATH"])
    monkeypatch.delenv("CC", raising=False)
    with pytest.raises(UserError, match="no C compiler"):
        check_c_compiler()


@pytest.mark.parametrize("bad", ["0.5.16", "v0.5", "v0.5.16 ", "latest"])
def test_malformed_version(checkout: Path, bad: str) -> None:
    if bad.endswith(" "):
        bad = "v0.5.16-"  # a dangling pre-release separator
    assert_one_error_line(
        run_invoke("build", "--src", str(checkout), "--version", bad), "vMAJOR.MINOR.PATCH[-pre]", repr(bad)
    )


def test_invoke_list_shows_the_build_tasks() -> None:
    proc = run_invoke("--list")
    assert proc.returncode == 0, proc.stderr
    names = [line.split()[0] for line in proc.stdout.splitlines() if line.startswith("  ")]
    assert "build" in names and "release.build" in names


@pytest.mark.parametrize("task", [tasks.ns["build"], tasks.ns["release.build"]], ids=["build", "release.build"])
def test_every_flag_has_help(task: object) -> None:
    body = task.body  # type: ignore[attr-defined]
    flags = [name for name in inspect.signature(body).parameters if name != "c"]
    helps = task.help  # type: ignore[attr-defined]
    assert flags and all(helps.get(flag, "").strip() for flag in flags), (flags, helps)


@pytest.mark.litestream
def test_build_real_litestream(litestream_src: Path, tmp_path: Path) -> None:
    """End to end on the real checkout: two binaries printing its describe version."""
    expected = open_checkout(litestream_src).describe()
    proc = run_invoke("build", "--src", str(litestream_src), "--out", str(tmp_path / "bin"))
    assert proc.returncode == 0, proc.stderr
    assert version_lines(tmp_path / "bin" / "litestream") == [expected]
    assert version_lines(tmp_path / "bin" / "litestream-test")[0] == f"litestream-test {expected}"
    assert build_settings(tmp_path / "bin" / "litestream")["CGO_ENABLED"] == "0"
    assert build_settings(tmp_path / "bin" / "litestream-test")["CGO_ENABLED"] == "1"
