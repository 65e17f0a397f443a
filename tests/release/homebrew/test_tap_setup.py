"""release.tap-setup: README and brew test-bot workflow in the tap; idempotent; other people's files are kept."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from common.errors import UserError
from release.homebrew.jobs import tap_setup_job
from release.homebrew.tap import SyncResult, TapTarget
from release.homebrew.tap_plans import tap_name
from tests.support.homebrew import OLDER, commit_count, make_tap, refs, show

WORKFLOW = ".github/workflows/tests.yml"


def setup(
    bare: Path, *, force: bool = False, dry_run: bool = False, path: str = "litestream.rb"
) -> tuple[SyncResult, str]:
    said: list[str] = []
    result = tap_setup_job(
        TapTarget(str(bare), "main", "Bot", "bot@example.invalid"), path, force=force, dry_run=dry_run, say=said.append
    )
    return result, "\n".join(said)


def test_fresh_tap_gets_readme_and_workflow_then_nothing(tmp_path: Path) -> None:
    bare = make_tap(tmp_path)
    result, said = setup(bare)
    assert result.status == "pushed" and commit_count(bare) == 1
    readme = show(bare, "README.md")
    assert "brew install benbjohnson/litestream/litestream" in readme
    assert "`litestream.rb` at the root" in readme and "brew trust" in readme
    workflow = yaml.safe_load(show(bare, WORKFLOW))
    runs = [step.get("run") for step in workflow["jobs"]["tap-syntax"]["steps"]]
    assert "brew test-bot --only-tap-syntax" in runs
    assert workflow[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads the key `on` as True
    assert "create README.md" in said
    before = refs(bare)
    again, said = setup(bare)
    assert again.status == "up to date" and refs(bare) == before
    assert "README.md is up to date" in said


def test_live_tap_layout_keeps_its_root_formula(tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    setup(bare)
    assert show(bare, "litestream.rb") == OLDER.read_text()
    assert commit_count(bare) == 2


def test_a_readme_it_did_not_create_is_kept_and_it_says_so(tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"README.md": "# Ben's tap\n", "litestream.rb": OLDER.read_text()})
    _, said = setup(bare)
    assert show(bare, "README.md") == "# Ben's tap\n"
    assert "left README.md as it is: tap-setup did not create it; pass --force" in said
    assert show(bare, WORKFLOW)  # the workflow was still added


def test_force_replaces_a_foreign_readme_and_says_so(tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"README.md": "# Ben's tap\n"})
    _, said = setup(bare, force=True)
    assert "brew install benbjohnson/litestream/litestream" in show(bare, "README.md")
    assert "replacing README.md, which tap-setup did not create (--force)" in said


def test_its_own_outdated_file_is_updated(tmp_path: Path) -> None:
    bare = make_tap(tmp_path)
    setup(bare)
    seeded = make_tap(tmp_path, {"README.md": show(bare, "README.md").replace("Install", "Old")}, name="t2.git")
    _, said = setup(seeded)
    assert "update README.md" in said and "## Install" in show(seeded, "README.md")


def test_dry_run_changes_nothing(tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"litestream.rb": OLDER.read_text()})
    before = refs(bare)
    result, said = setup(bare, dry_run=True)
    assert result.status == "dry run" and refs(bare) == before
    assert "+++ b/README.md" in said


def test_refuses_the_old_script_layout_that_hides_the_root_formula(tmp_path: Path) -> None:
    bare = make_tap(tmp_path, {"Formula/.gitkeep": "", "litestream.rb": OLDER.read_text()})
    with pytest.raises(UserError, match="Formula/ exists in the tap"):
        setup(bare)


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://github.com/benbjohnson/homebrew-litestream.git", "benbjohnson/litestream"),
        ("git@github.com:someone/homebrew-tools", "someone/tools"),
        ("/srv/git/tap.git", "benbjohnson/litestream"),
    ],
)
def test_tap_name_from_url(url: str, name: str) -> None:
    assert tap_name(url) == name
