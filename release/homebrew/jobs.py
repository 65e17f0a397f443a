"""The three Homebrew jobs as ordered steps; the Invoke tasks only resolve their settings and call these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from common.errors import UserError
from common.versions import ReleaseVersion, parse_version
from release.homebrew.checksums_source import Archive, load_checksums, pick_archives
from release.homebrew.formula import is_preview, render_formula, write_formula
from release.homebrew.published import check_published_archives
from release.homebrew.tap import SyncResult, TapTarget, sync_tap
from release.homebrew.tap_layout import normalize_formula_path
from release.homebrew.tap_plans import formula_plan, setup_plan, tap_name

Say = Callable[[str], None]


@dataclass(frozen=True)
class FormulaInputs:
    """Where a formula's facts come from: the tag, the checksums source, the release download base, and whether a
    local build's dist/ may be used (a preview)."""

    version: str | None
    checksums: str | None
    url_base: str
    dist: Path
    preview: bool = False


@dataclass(frozen=True)
class Prepared:
    """A rendered formula and what it was rendered from."""

    version: ReleaseVersion
    archives: list[Archive]
    text: str
    preview: bool


def prepare_formula(inputs: FormulaInputs, say: Say = print) -> Prepared:
    """Validate the tag, find the checksums, pick the five archives, render the formula text."""
    # 1. version: vMAJOR.MINOR.PATCH[-pre], before any download.
    version = parse_version(inputs.version)
    # 2. checksums: the published release's; a local build's dist/ only with --preview.
    notes: list[str] = []
    checksums = load_checksums(
        version,
        given=inputs.checksums,
        url_base=inputs.url_base,
        preview=inputs.preview,
        dist=inputs.dist,
        log=notes,
    )
    for note in notes:
        say(note)
    # 3. archives: darwin x86_64/arm64, linux x86_64/arm64/armv6 of exactly this version.
    archives = pick_archives(checksums, version)
    say("archives: " + ", ".join(f"{a.platform.os}-{a.platform.arch} {a.sha256[:12]}" for a in archives))
    # 4. render: the template under release/homebrew/templates/, marked when it is a preview.
    text = render_formula(version, archives, url_base=inputs.url_base, preview=checksums.local)
    return Prepared(version, archives, text, checksums.local)


def formula_job(inputs: FormulaInputs, output: Path, say: Say = print) -> Path:
    """release.formula: render and write the formula file (Formula/litestream.rb by default)."""
    prepared = prepare_formula(inputs, say)
    write_formula(prepared.text, output)
    kind = "a PREVIEW (sha256 of a local build; release.tap will not publish it)" if prepared.preview else ""
    say(f"formula: wrote {_shown(output)} for {prepared.version.tag}" + (f", {kind}" if kind else ""))
    return output


def _shown(path: Path) -> str:
    """A path relative to the working directory when it is under it, so messages stay short."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _require_repo(target: TapTarget) -> TapTarget:
    url = (target.url or "").strip()
    if not url:
        raise UserError("no tap repository given; pass --tap-repo URL or set tap.repo in invoke.yaml")
    return replace(target, url=url)


def tap_job(
    inputs: FormulaInputs, target: TapTarget, path: str, *, dry_run: bool, say: Say = print, workdir: Path | None = None
) -> SyncResult:
    """release.tap: render the formula, check every archive it names, then commit it in the tap and push.

    A preview (a local build's sha256) is never published: it may only be shown with ``dry_run``.
    """
    if inputs.preview and not dry_run:
        raise UserError(
            "release.tap never publishes a preview (sha256 of a local build, not of the release); drop --preview "
            "to publish the release's own checksums, or add --dry-run to see the preview's diff"
        )
    formula_path = normalize_formula_path(path)
    target = _require_repo(target)
    prepared = prepare_formula(inputs, say)
    if is_preview(prepared.text) and not dry_run:
        raise UserError("the formula is marked as a preview; release.tap never publishes one")
    if dry_run:
        say("downloads: not checked in a dry run (release.tap checks each archive before it pushes)")
    else:
        say(f"downloads: checking the {len(prepared.archives)} archives the formula names")
        check_published_archives(prepared.archives, inputs.url_base, prepared.version, say)
    return sync_tap(
        target,
        formula_plan(formula_path, prepared.text),
        message=f"litestream {prepared.version.tag}",
        dry_run=dry_run,
        say=say,
        workdir=workdir,
    )


def tap_setup_job(
    target: TapTarget, path: str, *, force: bool, dry_run: bool, say: Say = print, workdir: Path | None = None
) -> SyncResult:
    """release.tap-setup: the tap's README (install command, formula path) and its brew test-bot workflow."""
    formula_path = normalize_formula_path(path)
    target = _require_repo(target)
    plan = setup_plan(tap=tap_name(target.url), branch=target.branch, formula_path=formula_path, force=force, say=say)
    return sync_tap(
        target,
        plan,
        message="Set up the Litestream tap: README and brew test-bot workflow",
        dry_run=dry_run,
        say=say,
        workdir=workdir,
    )
