"""release.tap against real git: a local bare repository is the tap remote."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from common.errors import UserError
from release.homebrew.jobs import FormulaInputs, tap_job
from release.homebrew.tap import SyncResult, TapTarget
from tests.support.homebrew import CHECKSUMS, GOLDEN, OLDER, commit_count, free_port, git, make_tap, refs, show

INPUTS = FormulaInputs(
    "v0.5.16", str(CHECKSUMS), "https://github.com/benbjohnson/litestream/releases/download", Path("x")
)


def target(url: Path | str, branch: str = "main") -> TapTarget:
    return TapTarget(str(url), branch, "Release Bot", "bot@example.invalid")


def publish(
    url: Path | str, path: str = "litestream.rb", *, dry_run: bool = False, **kw: object
) -> tuple[SyncResult, list[str]]:
    said: list[str] = []
    result = tap_job(INPUTS, target(url, **kw), path, dry_run=dry_run, say=said.append)  # type: ignore[arg-type]
    return result, said


def hook(bare: Path, script: str) -> None:
    path = bare / "hooks" / "pre-receive"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_one_commit_then_already_up_to_date(tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    first, _ = publish(bare)
    assert first.status == "pushed" and commit_count(bare) == 2
    assert show(bare, "litestream.rb") == GOLDEN.read_text()
    assert (
        git("log", "-1", "--format=%an <%ae>|%cn|%s", cwd=bare)
        == "Release Bot <bot@example.invalid>|Release Bot|litestream v0.5.16"
    )
    before = refs(bare)
    second, said = publish(bare)
    assert second.status == "up to date" and commit_count(bare) == 2 and refs(bare) == before
    assert any("already up to date" in line for line in said)


def test_dry_run_prints_the_diff_and_changes_nothing(tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    before = refs(bare)
    result, said = publish(bare, dry_run=True)
    text = "\n".join(said)
    assert result.status == "dry run" and refs(bare) == before
    assert "--- a/litestream.rb\n+++ b/litestream.rb" in text
    assert '-  version "0.5.15"' in text and "+  service do" in text
    assert "nothing was pushed" in text


def test_empty_tap_gets_the_branch_and_formula(tmp_path: Path) -> None:
    bare = make_tap(tmp_path)
    publish(bare)
    assert show(bare, "litestream.rb") == GOLDEN.read_text()


def test_refuses_formula_dir_while_root_formula_exists(tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    with pytest.raises(UserError, match=r"already has litestream\.rb; writing Formula/litestream\.rb"):
        publish(bare, "Formula/litestream.rb")
    assert commit_count(bare) == 1


def test_refuses_root_formula_while_formula_dir_copy_exists(tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"Formula/litestream.rb": OLDER.read_text()})
    with pytest.raises(UserError, match=r"already has Formula/litestream\.rb; writing litestream\.rb"):
        publish(bare, "litestream.rb")
    assert commit_count(bare) == 1


def test_refuses_root_formula_while_an_empty_formula_dir_hides_it(tmp_path: Path) -> None:
    # what scripts/setup-homebrew-tap.sh leaves behind: Formula/.gitkeep
    bare = make_tap(tmp_path, {"Formula/.gitkeep": "", "litestream.rb": OLDER.read_text()})
    with pytest.raises(UserError, match=r"Formula/ exists in the tap, so Homebrew reads formulae from there"):
        publish(bare)


def test_formula_dir_path_works_when_the_tap_uses_it(tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"Formula/litestream.rb": OLDER.read_text()})
    publish(bare, "Formula/litestream.rb")
    assert show(bare, "Formula/litestream.rb") == GOLDEN.read_text()


@pytest.mark.parametrize(
    "path", ["other.rb", "Casks/litestream.rb", "../litestream.rb", "HomebrewFormula/x/litestream.rb"]
)
def test_paths_homebrew_never_reads_are_refused(tmp_path: Path, path: str) -> None:
    with pytest.raises(UserError, match="--path"):
        publish(tmp_path / "unused.git", path)


def test_push_rejected_once_fetches_rebases_and_pushes(tmp_path: Path) -> None:
    # A concurrent writer (GoReleaser's brews:) lands the published formula first; our change is replayed on top.
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    other = tmp_path / "other"
    git("clone", "-q", str(bare), str(other))
    (other / "litestream.rb").write_text(OLDER.read_text().replace("0.5.15", "0.5.16"))
    git("commit", "-qam", "Brew formula update for litestream version v0.5.16", cwd=other)
    git("push", "-q", "origin", "HEAD:refs/concurrent/main", cwd=other)
    concurrent = git("rev-parse", "HEAD", cwd=other)
    hook(
        bare,
        "if [ ! -f concurrent-done ]; then\n  touch concurrent-done\n"
        "  env -u GIT_QUARANTINE_PATH git update-ref refs/heads/main refs/concurrent/main\n"
        '  echo "someone else pushed first" >&2\n  exit 1\nfi\n',
    )
    result, said = publish(bare)
    assert result.status == "pushed" and result.rebased
    assert any("rejected" in line and "rebasing once" in line for line in said)
    assert git("rev-parse", "main~1", cwd=bare) == concurrent
    assert show(bare, "litestream.rb") == GOLDEN.read_text()


def test_push_rejected_twice_is_a_clear_failure(tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    hook(bare, 'echo "tap is frozen" >&2\nexit 1\n')
    before = refs(bare)
    with pytest.raises(UserError, match=r"rejected twice \(pre-receive hook declined\).*nothing was forced"):
        publish(bare)
    assert refs(bare) == before


def test_missing_remote_path(tmp_path: Path) -> None:
    with pytest.raises(
        UserError, match=r"cannot clone the tap .*nope\.git: repository .* does not exist; check --tap-repo"
    ):
        publish(tmp_path / "nope.git")


def test_remote_that_is_not_a_git_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(UserError, match=r"the tap .*plain is a directory but not a git repository"):
        publish(plain)


def test_unreachable_http_remote(tmp_path: Path) -> None:
    with pytest.raises(
        UserError,
        match=r"cannot clone the tap http://127\.0\.0\.1:\d+/tap\.git: .*(Failed to connect|Could not connect)",
    ):
        publish(f"http://127.0.0.1:{free_port()}/tap.git")


def test_branch_missing_on_the_tap(tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    with pytest.raises(UserError, match=r"has no branch release \(it has main\); pass --branch"):
        publish(bare, branch="release")
