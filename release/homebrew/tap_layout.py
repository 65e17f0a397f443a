"""Where Homebrew reads a tap's formulae, so a publish never writes a file Homebrew would ignore.

Homebrew takes the first of ``Formula/``, ``HomebrewFormula/`` and the tap root that is a directory
("The first available directory is used, other locations will be ignored", How-to-Create-and-Maintain-a-Tap).
A ``Formula/`` directory that exists, even holding only a ``.gitkeep``, hides every formula at the root.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from common.errors import UserError

FORMULA_DIRS = ("Formula", "HomebrewFormula")
ROOT = "."


def _location(path: PurePosixPath) -> str:
    """The formula location a relative path is in: its top directory for Formula/..., else the root."""
    top = path.parts[0] if len(path.parts) > 1 else ROOT
    return top


def normalize_formula_path(text: str, *, formula: str = "litestream.rb") -> PurePosixPath:
    """Validate ``--path``: ``litestream.rb`` at the root, in ``HomebrewFormula/``, or under ``Formula/``."""
    path = PurePosixPath(text.strip().lstrip("/")) if text and text.strip() else PurePosixPath()
    if path.name != formula or ".." in path.parts:
        raise UserError(f"--path {text!r} must name {formula} in the tap, e.g. {formula} or Formula/{formula}")
    location = _location(path)
    if location == "HomebrewFormula" and len(path.parts) != 2:
        raise UserError(f"--path {text!r}: Homebrew reads HomebrewFormula/{formula}, not a subdirectory of it")
    if location not in (ROOT, *FORMULA_DIRS):
        raise UserError(
            f"--path {text!r} is where Homebrew never looks; use {formula}, Formula/{formula} "
            f"or HomebrewFormula/{formula}"
        )
    return path


def existing_formulae(tap: Path, formula: str = "litestream.rb") -> list[str]:
    """Every copy of the formula in a location Homebrew might read (Formula/ may be sharded into subdirectories)."""
    found = (
        [str(p.relative_to(tap)) for p in sorted((tap / "Formula").rglob(formula))]
        if (tap / "Formula").is_dir()
        else []
    )
    found += [f"{name}/{formula}" for name in FORMULA_DIRS[1:] if (tap / name / formula).is_file()]
    if (tap / formula).is_file():
        found.append(formula)
    return found


def check_formula_path(tap: Path, path: PurePosixPath) -> None:
    """Refuse a write Homebrew would ignore, or one that would leave a second copy Homebrew ignores."""
    target = str(path)
    location = _location(path)
    others = [p for p in existing_formulae(tap, path.name) if p != target]
    if others:
        raise UserError(
            f"the tap already has {others[0]}; writing {target} as well would leave two formulae and Homebrew "
            f"reads only the one in {_describe(_read_after_write(tap, location))}; pass --path {others[0]}, "
            f"or move the formula in the tap deliberately first"
        )
    read = _read_after_write(tap, location)
    if read != location:
        raise UserError(
            f"{_describe(read)} exists in the tap, so Homebrew reads formulae from there and would ignore "
            f"{target}; pass --path {read}/{path.name} or remove {read}/ from the tap"
        )


def _read_after_write(tap: Path, location: str) -> str:
    """The location Homebrew reads once ``location`` exists (writing into Formula/ creates it)."""
    for name in FORMULA_DIRS:
        if (tap / name).is_dir() or name == location:
            return name
    return ROOT


def _describe(location: str) -> str:
    return "the tap root" if location == ROOT else f"{location}/"
