"""The one GitHub URL parser: the tap's brew name and the slug the gate compares."""

from __future__ import annotations

import pytest

from release.github import GitHubRepo, parse_github_url


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/benbjohnson/homebrew-litestream.git",
        "https://github.com/benbjohnson/homebrew-litestream",
        "https://github.com/benbjohnson/homebrew-litestream/",
        "git@github.com:benbjohnson/homebrew-litestream.git",
        "ssh://git@github.com/benbjohnson/homebrew-litestream.git",
        "  https://GitHub.com/benbjohnson/homebrew-litestream.git\n",
    ],
)
def test_every_way_of_writing_a_github_url(url: str) -> None:
    repo = parse_github_url(url)
    assert repo == GitHubRepo("benbjohnson", "homebrew-litestream")
    assert repo.tap == "benbjohnson/litestream"


def test_slug_compares_case_insensitively_and_a_non_tap_has_no_brew_name() -> None:
    repo = parse_github_url("https://github.com/BenBJohnson/Litestream")
    assert repo is not None and repo.slug == "benbjohnson/litestream" and repo.tap is None


@pytest.mark.parametrize("url", ["/srv/git/tap.git", "https://gitlab.com/o/homebrew-x.git", "", "github.com/only"])
def test_anything_else_is_not_a_github_repository(url: str) -> None:
    assert parse_github_url(url) is None
