"""The three Homebrew jobs; the formula is prepared by FORMULA_STEPS, run by common.steps.run_steps.

The Invoke tasks only resolve their settings and call these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from common.errors import UserError
from common.steps import Skip, Step, run_steps
from common.versions import ReleaseVersion, parse_version
from release.homebrew.checksums_source import Archive, Checksums, load_checksums, pick_archives
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


@dataclass
class FormulaJob:
    """What the formula job knows so far; each step fills in a field."""

    inputs: FormulaInputs
    say: Say = print
    dry_run: bool = True  # release.tap sets False when it will push: then the downloads are checked
    version: ReleaseVersion = field(init=False)
    checksums: Checksums = field(init=False)
    archives: list[Archive] = field(init=False)
    text: str = field(init=False)


def _version(job: FormulaJob) -> None:
    job.version = parse_version(job.inputs.version)


def _checksums(job: FormulaJob) -> None:
    notes: list[str] = []
    inputs = job.inputs
    job.checksums = load_checksums(
        job.version,
        given=inputs.checksums,
        url_base=inputs.url_base,
        preview=inputs.preview,
        dist=inputs.dist,
        log=notes,
    )
    for note in notes:
        job.say(f"  {note}")


def _archives(job: FormulaJob) -> None:
    job.archives = pick_archives(job.checksums, job.version)
    job.say("  " + ", ".join(f"{a.platform.os}-{a.platform.arch} {a.sha256[:12]}" for a in job.archives))


def _render(job: FormulaJob) -> None:
    job.text = render_formula(job.version, job.archives, url_base=job.inputs.url_base, preview=job.checksums.local)


def _downloads(job: FormulaJob) -> None:
    if job.dry_run:
        raise Skip("a dry run pushes nothing; release.tap checks each archive before it pushes")
    if is_preview(job.text):
        raise UserError("the formula is marked as a preview; release.tap never publishes one")
    check_published_archives(job.archives, job.inputs.url_base, job.version, job.say)


FORMULA_STEPS: list[Step[FormulaJob]] = [
    Step("version", "the tag, vMAJOR.MINOR.PATCH[-pre], checked before any download", _version),
    Step("checksums", "the published release's checksums.txt; a local build's only with --preview", _checksums),
    Step("archives", "darwin x86_64/arm64, linux x86_64/arm64/armv6 of exactly this version", _archives),
    Step("render", "the formula from release/homebrew/templates/, marked when it is a preview", _render),
]
# release.tap: before anything is pushed, what the formula names must be what is served.
TAP_STEPS: list[Step[FormulaJob]] = [
    *FORMULA_STEPS,
    Step("downloads", "download every archive the formula names and compare its sha256", _downloads),
]


def prepare_formula(
    inputs: FormulaInputs, say: Say = print, *, steps: list[Step[FormulaJob]] = FORMULA_STEPS, dry_run: bool = True
) -> FormulaJob:
    """Validate the tag, find the checksums, pick the five archives, render the formula text (and, for a push,
    check the downloads)."""
    job = FormulaJob(inputs, say, dry_run)
    run_steps(steps, job, say=say)
    return job


def formula_job(inputs: FormulaInputs, output: Path, say: Say = print) -> Path:
    """release.formula: render and write the formula file (Formula/litestream.rb by default)."""
    job = prepare_formula(inputs, say)
    write_formula(job.text, output)
    kind = ", a PREVIEW (sha256 of a local build; release.tap will not publish it)" if job.checksums.local else ""
    say(f"formula: wrote {_shown(output)} for {job.version.tag}{kind}")
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
        raise UserError("no tap repository given; pass --tap-repo URL or set tap.repo in ~/.invoke.yaml")
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
    job = prepare_formula(inputs, say, steps=TAP_STEPS, dry_run=dry_run)
    return sync_tap(
        target,
        formula_plan(formula_path, job.text),
        message=f"litestream {job.version.tag}",
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
