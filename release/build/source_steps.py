"""The steps both build jobs start with: open the Litestream checkout, then check the local Go against it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from common.steps import Step
from release.build.checkout import Checkout, open_checkout
from release.build.toolchain import check_go


@dataclass
class SourceJob:
    """A job that builds from a Litestream checkout; OPEN_CHECKOUT and CHECK_GO fill in the rest."""

    src: Path
    checkout: Checkout = field(init=False)
    go_version: str = field(init=False)


def _open_checkout(job: SourceJob) -> None:
    job.checkout = open_checkout(job.src)


def _check_go(job: SourceJob) -> None:
    job.go_version = check_go(job.src)
    print(f"  {job.go_version} (go.mod asks for go {job.checkout.go_directive()})")


OPEN_CHECKOUT: Step[SourceJob] = Step(
    "open-checkout", "check --src is a git checkout of github.com/benbjohnson/litestream", _open_checkout
)
CHECK_GO: Step[SourceJob] = Step("check-go", "find a local Go at least as new as go.mod's go line", _check_go)
