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


def local_build(root: Path, text: str = FULL) -> Path:
    """A directory shaped like a build's dist/: checksums.txt with GoReleaser's metadata.json beside it."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "checksums.txt").write_text(text)
    (root / "metadata.json").write_text('{"project_name": "litestream", "version": "0.5.16"}')
    return root


def test_a_published_copy_given_by_path_is_read(tmp_path: Path) -> None:
    notes: list[str] = []
    got = load_checksums(V, given=str(CHECKSUMS), url_base="http://127.0.0.1:9", dist=tmp_path, log=notes)
    assert got.source == str(CHECKSUMS) and not got.local and "--checksums" in notes[0]


def test_a_local_builds_checksums_are_refused_without_preview(tmp_path: Path) -> None:
    dist = local_build(tmp_path / "dist")
    with pytest.raises(UserError, match=r"is a local build's .* pass --preview"):
        load_checksums(V, given=str(dist / "checksums.txt"), url_base="http://127.0.0.1:9", dist=dist)


def test_missing_flag_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        load_checksums(V, given=str(tmp_path / "nope.txt"), url_base="http://127.0.0.1:9", dist=tmp_path)


def test_flag_url_is_downloaded(tmp_path: Path) -> None:
    with file_server(release_dir(tmp_path)) as base:
        got = load_checksums(V, given=f"{base}/v0.5.16/checksums.txt", url_base="unused", dist=tmp_path / "x")
    assert set(got.entries) >= FIVE


def test_preview_reads_the_local_build(tmp_path: Path) -> None:
    dist = local_build(tmp_path / "dist")
    notes: list[str] = []
    got = load_checksums(V, given=None, url_base="http://127.0.0.1:9", preview=True, dist=dist, log=notes)
    assert got.local and got.source == str(dist / "checksums.txt") and "preview" in notes[0]
    assert {a.name for a in pick_archives(got, V)} == FIVE


def test_preview_without_a_local_build_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"no local build at .*checksums\.txt; run invoke release\.build first"):
        load_checksums(V, given=None, url_base="http://127.0.0.1:9", preview=True, dist=tmp_path)


def test_without_preview_the_published_release_wins_over_a_local_build(tmp_path: Path) -> None:
    dist = local_build(tmp_path / "dist", FULL.replace("0" * 8, "1" * 8))
    with file_server(release_dir(tmp_path / "srv")) as base:
        got = load_checksums(V, given=None, url_base=base, dist=dist)
    assert got.source == f"{base}/v0.5.16/checksums.txt" and not got.local


def test_release_url_is_the_default_source(tmp_path: Path) -> None:
    with file_server(release_dir(tmp_path)) as base:
        got = load_checksums(V, given=None, url_base=base + "/", dist=tmp_path / "absent")
    assert {a.name for a in pick_archives(got, V)} == FIVE


def test_release_not_published_is_a_404_line(tmp_path: Path) -> None:
    with file_server(tmp_path) as base, pytest.raises(UserError, match=r"HTTP 404.*is the release published"):
        load_checksums(V, given=None, url_base=base, dist=tmp_path / "absent")


def test_release_not_published_with_a_local_build_points_at_preview(tmp_path: Path) -> None:
    dist = local_build(tmp_path / "dist")
    (tmp_path / "srv").mkdir()
    with file_server(tmp_path / "srv") as base, pytest.raises(UserError, match=r"HTTP 404.*pass --preview"):
        load_checksums(V, given=None, url_base=base, dist=dist)


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
