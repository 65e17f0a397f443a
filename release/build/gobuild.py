"""One ``go build`` (the output file appears only when it succeeded), and asking a built binary its version."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from common.errors import UserError
from common.processes import in_one_line, tail_lines
from release.build.toolchain import find_go, go_env

TAIL_LINES = 8  # of go's output, in the one-line error of a failed build


def go_build(
    src: Path,
    package: str,
    output: Path,
    *,
    env: Mapping[str, str] | None = None,
    ldflags: str = "",
    trimpath: bool = False,
    label: str = "",
    on_failure: str = "",
) -> None:
    """Run ``go build`` of ``package`` in ``src`` into ``output``.

    Go writes into a scratch directory beside ``output``; the binary replaces ``output`` only on success, so a failed
    build leaves whatever was at ``output`` untouched. ``env`` adds to the environment (GOOS,
    CGO_ENABLED, ...); GOCACHE is left alone so parallel builds share Go's build cache. On failure the
    UserError carries the last lines of go's output, then ``on_failure`` (e.g. what was kept).
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{output.name}.", dir=output.parent) as scratch:
        tmp = Path(scratch) / output.name
        cmd = [find_go(), "build", "-o", str(tmp)]
        if trimpath:
            cmd.append("-trimpath")
        if ldflags:
            cmd += ["-ldflags", ldflags]
        cmd.append(package)
        proc = subprocess.run(
            cmd, cwd=src, env=go_env(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
        )
        if proc.returncode != 0 or not tmp.is_file():
            what = f"go build {package}" + (f" ({label})" if label else "")
            suffix = f"; {on_failure}" if on_failure else ""
            said = in_one_line(tail_lines(proc.stdout, TAIL_LINES), "no output")
            raise UserError(f"{what} failed: {said}{suffix}")
        tmp.replace(output)


def quoted(lines: list[str]) -> str:
    """Printed lines for a message: ``"v0.5.16" / "commit: 6d61ef5"``, or ``nothing``."""
    return " / ".join(f'"{line}"' for line in lines) or "nothing"


def version_output(binary: Path, *, kept: str) -> list[str]:
    """The lines ``<binary> version`` prints; a crash or non-zero exit is a UserError."""
    try:
        proc = subprocess.run([str(binary), "version"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UserError(f"could not run `{binary.name} version`: {exc}; {kept}") from None
    if proc.returncode != 0:
        said = in_one_line(tail_lines(proc.stderr + proc.stdout, TAIL_LINES), "no output")
        raise UserError(f"`{binary.name} version` exited {proc.returncode}: {said}; {kept}")
    return [line.strip() for line in proc.stdout.splitlines()]
