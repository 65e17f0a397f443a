"""The platforms Litestream publishes and the archive names they carry (.goreleaser.yml)."""

from __future__ import annotations

from dataclasses import dataclass

PROJECT = "litestream"
# GoReleaser's name_template maps amd64 to x86_64 and appends v<GOARM> for 32-bit ARM.
_ARCH_LABEL = {"amd64": "x86_64", "arm64": "arm64", "arm": "arm"}


@dataclass(frozen=True)
class Target:
    """One GOOS/GOARCH[/GOARM] of the release matrix."""

    goos: str
    goarch: str
    goarm: str = ""

    @property
    def platform(self) -> str:
        """``linux/arm/6`` style, for messages."""
        return "/".join(part for part in (self.goos, self.goarch, self.goarm) if part)

    @property
    def label(self) -> str:
        """``linux-armv6``: the archive name's platform part, also the build directory name."""
        arch = _ARCH_LABEL[self.goarch] + (f"v{self.goarm}" if self.goarm else "")
        return f"{self.goos}-{arch}"

    @property
    def binary_name(self) -> str:
        return PROJECT + (".exe" if self.goos == "windows" else "")

    @property
    def archive_format(self) -> str:
        """zip on windows, tar.gz elsewhere (GoReleaser's format_overrides)."""
        return "zip" if self.goos == "windows" else "tar.gz"

    def archive_name(self, number: str) -> str:
        """e.g. ``litestream-0.5.16-linux-x86_64.tar.gz`` for version number ``0.5.16`` (no leading v)."""
        return f"{PROJECT}-{number}-{self.label}.{self.archive_format}"

    def go_env(self) -> dict[str, str]:
        """GOOS/GOARCH plus the pinned sub-architecture, so a GOAMD64/GOARM in the caller's env can't leak in."""
        env = {"GOOS": self.goos, "GOARCH": self.goarch}
        if self.goarch == "amd64":
            env["GOAMD64"] = "v1"
        elif self.goarch == "arm64":
            env["GOARM64"] = "v8.0"
        elif self.goarch == "arm":
            env["GOARM"] = self.goarm
        return env


TARGETS: tuple[Target, ...] = (
    Target("linux", "amd64"),
    Target("linux", "arm64"),
    Target("linux", "arm", "6"),
    Target("linux", "arm", "7"),
    Target("darwin", "amd64"),
    Target("darwin", "arm64"),
    Target("windows", "amd64"),
    Target("windows", "arm64"),
)


def archive_names(number: str) -> list[str]:
    """The eight archive names of a release, in matrix order."""
    return [target.archive_name(number) for target in TARGETS]
