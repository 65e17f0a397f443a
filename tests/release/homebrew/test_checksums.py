"""Where checksums.txt comes from (flag, dist/, the release over HTTP) and what the formula takes from it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from common.errors import UserError
from common.versions import parse_version
from release.homebrew.checksums_source import load_checksums, pick_archives, read_checksums
from release.homebrew.downloads import fetch_text
from tests.support.homebrew import CHECKSUMS, file_server, free_port, silent_server

V = parse_version("v0.5.16")
FULL = CHECKSUMS.read_text()
FIVE = {
    "litestream-0.5.16-darwin-x86_64.tar.gz",
    "litestream-0.5.16-darwin-arm64.tar.gz",
    "litestream-0.5.16-linux-x86_64.tar.gz",
    "litestream-0.5.16-linux-arm64.tar.gz",
    "litestream-0.5.16-linux-armv6.tar.gz",
}


def release_dir(root: Path, text: str = FULL, tag: str = "v0.5.16") -> Path:
    """A directory laid out like <url_base>/<tag>/checksums.txt."""
    (root / tag).mkdir(parents=True)
    (root / tag / "checksums.txt").write_text(text)
    return root


def test_picks_exactly_the_five_formula_archives_from_a_full_release_file() -> None:
    archives = pick_archives(read_checksums(FULL, source="t"), V)
    assert {a.name for a in archives} == FIVE
    assert len(read_checksums(FULL, source="t").entries) == 24  # armv7, windows, deb/rpm, sboms are ignored


def test_binary_mode_lines_and_uppercase_hex_are_accepted() -> None:
    line = FULL.splitlines()[0]
    sha, name = line.split("  ")
    parsed = read_checksums(f"{sha.upper()} *{name}\n", source="t")
    assert parsed.entries == {name: sha}


def test_malformed_line_names_its_number() -> None:
    text = FULL + "not-a-checksum litestream-0.5.16-extra.tar.gz\n"
    with pytest.raises(UserError, match=r"line 25 is not '<sha256>  <file name>'"):
        read_checksums(text, source="checksums.txt")


def test_short_hash_is_malformed() -> None:
    with pytest.raises(UserError, match="line 1"):
        read_checksums("abc123  litestream-0.5.16-linux-x86_64.tar.gz\n", source="t")


def test_empty_file_is_an_error() -> None:
    with pytest.raises(UserError, match="holds no checksums"):
        read_checksums("\n\n", source="t")


def test_same_name_twice_with_different_hashes_is_an_error() -> None:
    line = FULL.splitlines()[0]
    with pytest.raises(UserError, match=r"repeats .* with another sha256"):
        read_checksums(f"{line}\n{'0' * 64}  {line.split('  ')[1]}\n", source="t")


@pytest.mark.parametrize("platform", ["darwin-x86_64", "darwin-arm64", "linux-x86_64", "linux-arm64", "linux-armv6"])
def test_missing_platform_is_named(platform: str) -> None:
    text = "\n".join(line for line in FULL.splitlines() if not line.endswith(f"-{platform}.tar.gz"))
    os_name, arch = platform.split("-")
    with pytest.raises(
        UserError, match=rf"has no {os_name} {arch} archive \(litestream-0\.5\.16-{platform}\.tar\.gz\)"
    ):
        pick_archives(read_checksums(text, source="t"), V)


def test_archives_of_another_version_are_refused() -> None:
    text = FULL.replace("0.5.16", "0.5.15")
    with pytest.raises(UserError, match=r"lists archives of version 0\.5\.15 .* not only 0\.5\.16"):
        pick_archives(read_checksums(text, source="t"), V)


def test_flag_path_wins_over_dist(tmp_path: Path) -> None:
    dist = tmp_path / "dist-checksums.txt"
    dist.write_text("garbage\n")
    notes: list[str] = []
    got = load_checksums(V, given=str(CHECKSUMS), dist_file=dist, url_base="http://127.0.0.1:9", log=notes)
    assert got.source == str(CHECKSUMS) and "--checksums" in notes[0]


def test_missing_flag_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        load_checksums(V, given=str(tmp_path / "nope.txt"), dist_file=tmp_path / "x", url_base="http://127.0.0.1:9")


def test_flag_url_is_downloaded(tmp_path: Path) -> None:
    with file_server(release_dir(tmp_path)) as base:
        got = load_checksums(V, given=f"{base}/v0.5.16/checksums.txt", dist_file=tmp_path / "x", url_base="unused")
    assert set(got.entries) >= FIVE


def test_dist_checksums_of_this_version_are_used(tmp_path: Path) -> None:
    dist = tmp_path / "checksums.txt"
    dist.write_text(FULL)
    notes: list[str] = []
    got = load_checksums(V, given=None, dist_file=dist, url_base="http://127.0.0.1:9", log=notes)
    assert got.source == str(dist) and "release.build" in notes[0]


def test_dist_of_another_version_falls_through_to_the_release_url(tmp_path: Path) -> None:
    dist = tmp_path / "checksums.txt"
    dist.write_text(FULL.replace("0.5.16", "0.5.15"))
    notes: list[str] = []
    with file_server(release_dir(tmp_path / "srv")) as base:
        got = load_checksums(V, given=None, dist_file=dist, url_base=base, log=notes)
    assert got.source == f"{base}/v0.5.16/checksums.txt"
    assert "skipped" in notes[0] and "0.5.15" in notes[0]


def test_release_url_is_the_default_source(tmp_path: Path) -> None:
    with file_server(release_dir(tmp_path)) as base:
        got = load_checksums(V, given=None, dist_file=tmp_path / "absent.txt", url_base=base + "/")
    assert {a.name for a in pick_archives(got, V)} == FIVE


def test_release_not_published_is_a_404_line(tmp_path: Path) -> None:
    with file_server(tmp_path) as base, pytest.raises(UserError, match=r"HTTP 404.*is the release published"):
        load_checksums(V, given=None, dist_file=tmp_path / "absent.txt", url_base=base)


def test_unreachable_server_is_one_line_after_retries() -> None:
    url = f"http://127.0.0.1:{free_port()}/v0.5.16/checksums.txt"
    with pytest.raises(UserError, match=r"unreachable \(tried 2 times\)"):
        fetch_text(url, what="checksums.txt", retries=1)


def test_silent_server_times_out() -> None:
    with silent_server() as base:
        started = time.monotonic()
        with pytest.raises(UserError, match=r"did not answer within 0\.3s \(tried 2 times\)"):
            fetch_text(f"{base}/checksums.txt", what="checksums.txt", timeout=0.3, retries=1)
    assert time.monotonic() - started < 10
