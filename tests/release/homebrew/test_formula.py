"""The rendered formula: golden file, the published tap's URLs and hashes, ruby -c, rubocop, stanza order."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from common.settings import PROJECT_ROOT
from common.versions import parse_version
from release.homebrew.checksums_source import pick_archives, read_checksums
from release.homebrew.formula import is_preview, render_formula
from release.homebrew.jobs import FORMULA_STEPS, TAP_STEPS, FormulaInputs, prepare_formula
from tests.support.cli import run_invoke
from tests.support.homebrew import CHECKSUMS, GOLDEN, PUBLISHED

URL_BASE = "https://github.com/benbjohnson/litestream/releases/download"
RUBOCOP_CONFIG = PROJECT_ROOT / ".rubocop.yml"
needs_ruby = pytest.mark.skipif(shutil.which("ruby") is None, reason="ruby not on PATH (apt-get install ruby)")
needs_rubocop = pytest.mark.skipif(
    shutil.which("rubocop") is None, reason="rubocop not on PATH (apt-get install rubocop)"
)


def rendered(version: str = "v0.5.16") -> str:
    tag = parse_version(version)
    checksums = read_checksums(CHECKSUMS.read_text(), source="fixture")
    return render_formula(tag, pick_archives(checksums, tag), url_base=URL_BASE)


def url_sha_by_platform(formula: str) -> dict[str, tuple[str, str]]:
    """{"darwin-x86_64": (url, sha256), ...}: each url and the sha256 after it, keyed by the archive's platform."""
    found: dict[str, tuple[str, str]] = {}
    url = ""
    for line in formula.splitlines():
        if m := re.match(r'^\s+url "(.+)"$', line):
            url = m.group(1)
        elif m := re.match(r'^\s+sha256 "([0-9a-f]{64})"$', line):
            platform = re.search(r"-((?:darwin|linux)-\w+)\.tar\.gz$", url)
            assert platform, url
            found[platform.group(1)] = (url, m.group(1))
    return found


def branches(formula: str) -> dict[str, tuple[str, ...]]:
    """The blocks and conditions enclosing each archive's url: {"linux-armv6": ("on_linux", "on_arm", "else")}."""
    stack: list[tuple[int, str]] = []
    found: dict[str, tuple[str, ...]] = {}
    for line in formula.splitlines():
        indent, text = len(line) - len(line.lstrip()), line.strip()
        while stack and stack[-1][0] >= indent and text in ("end", "else") and stack[-1][0] == indent:
            stack.pop()
            break
        if text.endswith(" do") or text.startswith("if ") or text == "else":
            stack.append((indent, text.removesuffix(" do")))
        elif m := re.match(r'url ".*-((?:darwin|linux)-\w+)\.tar\.gz"$', text):
            found[m.group(1)] = tuple(opener for _, opener in stack if opener != "class Litestream < Formula")
    return found


def test_golden_file() -> None:
    assert rendered() == GOLDEN.read_text()


def test_committed_formula_is_the_v0_5_16_rendering() -> None:
    assert (PROJECT_ROOT / "Formula" / "litestream.rb").read_text() == GOLDEN.read_text()


def test_urls_and_sha256_equal_the_published_tap_formula_for_all_five_platforms() -> None:
    ours = url_sha_by_platform(rendered())
    published = url_sha_by_platform(PUBLISHED.read_text())
    assert len(published) == 5
    assert ours == published


def test_no_version_line_because_brew_audit_rejects_it() -> None:
    text = rendered()
    assert not re.search(r"^\s*version ", text, re.MULTILINE)
    assert re.search(r'^  version "0\.5\.16"$', PUBLISHED.read_text(), re.MULTILINE)  # what GoReleaser writes


def test_header_class_and_metadata() -> None:
    lines = rendered().splitlines()
    assert lines[:2] == ["# typed: false", "# frozen_string_literal: true"]
    assert "class Litestream < Formula" in lines
    for stanza in ('  desc "Streaming replication for SQLite databases"', '  homepage "https://litestream.io"'):
        assert stanza in lines
    assert '  license "Apache-2.0"' in lines


def test_each_archive_sits_in_its_platform_branch() -> None:
    assert branches(rendered()) == {
        "darwin-x86_64": ("on_macos", "on_intel"),
        "darwin-arm64": ("on_macos", "on_arm"),
        "linux-x86_64": ("on_linux", "on_intel"),
        "linux-arm64": ("on_linux", "on_arm", "if Hardware::CPU.is_64_bit?"),
        "linux-armv6": ("on_linux", "on_arm", "else"),
    }


def test_one_install_method_in_the_class_body_as_homebrew_writes_it() -> None:
    text = rendered()
    assert text.count("  def install\n") == 1 and "define_method" not in text
    install = text.split("  def install\n", 1)[1].split("  end\n", 1)[0]
    assert install == '    bin.install "litestream"\n    etc.install "etc/litestream.yml" => "litestream.yml"\n'
    assert "define_method(:install)" in PUBLISHED.read_text()  # what GoReleaser's template writes instead


@needs_ruby
@pytest.mark.parametrize(
    ("os_name", "arch", "archive"),
    [
        ("darwin", "x86_64", "darwin-x86_64"),
        ("darwin", "arm64", "darwin-arm64"),
        ("linux", "x86_64", "linux-x86_64"),
        ("linux", "arm64", "linux-arm64"),
        ("linux", "armv6", "linux-armv6"),
    ],
)
def test_ruby_picks_each_platforms_archive(tmp_path: Path, os_name: str, arch: str, archive: str) -> None:
    formula = tmp_path / "litestream.rb"
    formula.write_text(rendered())
    env = {**os.environ, "SHIM_OS": os_name, "SHIM_ARCH": arch, "SHIM_PREFIX": str(tmp_path)}
    shim = Path(__file__).with_name("formula_shim.rb")
    result = subprocess.run(["ruby", str(shim), str(formula)], env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.startswith(f"url: {URL_BASE}/v0.5.16/litestream-0.5.16-{archive}.tar.gz\n"), result.stderr


def test_service_caveats_livecheck_and_a_test_that_asserts_the_version() -> None:
    text = rendered()
    assert 'run ["#{opt_bin}/litestream", "replicate", "-config", "#{etc}/litestream.yml"]' in text
    assert 'log_path "#{var}/log/litestream.log"' in text
    assert 'error_log_path "#{var}/log/litestream.log"' in text
    assert re.search(r"def caveats\n    <<~EOS\n.*#\{etc\}/litestream\.yml", text, re.DOTALL)
    assert "  livecheck do\n    url :stable\n" in text
    assert 'assert_match version.to_s, shell_output("#{bin}/litestream version")' in text


def test_prerelease_tags_render_with_their_urls() -> None:
    text = CHECKSUMS.read_text().replace("0.5.16", "0.6.0-rc1")
    tag = parse_version("v0.6.0-rc1")
    formula = render_formula(tag, pick_archives(read_checksums(text, source="t"), tag), url_base=URL_BASE + "/")
    assert f"{URL_BASE}/v0.6.0-rc1/litestream-0.6.0-rc1-linux-armv6.tar.gz" in formula


# Formula Cookbook order; Homebrew's ComponentsOrder cop needs the brew library, so it is checked here.
COOKBOOK_ORDER = [
    "desc", "homepage", "license", "livecheck", "on_macos", "on_linux", "install", "caveats", "service", "test",
]  # fmt: skip


def top_level_stanzas(formula: str) -> list[str]:
    """The first word of each statement directly in the class body (two-space indent), ``def x`` as ``x``."""
    names = []
    for line in formula.splitlines():
        if (m := re.match(r"^  (?:def )?([a-z_]+[?!]?)\b", line)) and m.group(1) != "end":
            names.append(m.group(1))
    return names


def test_stanza_order_follows_the_formula_cookbook() -> None:
    assert top_level_stanzas(rendered()) == COOKBOOK_ORDER


def test_stanza_order_check_catches_a_misplaced_stanza() -> None:
    text = (
        rendered().replace('  license "Apache-2.0"\n', "").replace("  test do", '  license "Apache-2.0"\n\n  test do')
    )
    assert top_level_stanzas(text) != COOKBOOK_ORDER


@needs_ruby
def test_ruby_syntax_check(tmp_path: Path) -> None:
    formula = tmp_path / "litestream.rb"
    formula.write_text(rendered())
    result = subprocess.run(["ruby", "-c", str(formula)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "Syntax OK" in result.stdout, result.stderr


def rubocop(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["rubocop", "--config", str(RUBOCOP_CONFIG), "--format", "simple", "--no-color", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@needs_rubocop
def test_rubocop_passes_under_the_homebrew_style_config(tmp_path: Path) -> None:
    formula = tmp_path / "litestream.rb"
    formula.write_text(rendered())
    result = rubocop(formula)
    assert result.returncode == 0, result.stdout
    assert "no offenses detected" in result.stdout


@needs_rubocop
def test_rubocop_config_is_live_single_quotes_and_long_lines_fail(tmp_path: Path) -> None:
    formula = tmp_path / "litestream.rb"
    long_line = '    assert_match "' + "x" * 120 + '", "y"\n'
    text = rendered().replace('license "Apache-2.0"', "license 'Apache-2.0'")
    formula.write_text(text.replace("  test do\n", "  test do\n" + long_line))
    result = rubocop(formula)
    assert result.returncode != 0
    assert "Style/StringLiterals" in result.stdout and "Layout/LineLength" in result.stdout


@needs_rubocop
def test_rubocop_requires_the_frozen_string_literal_comment(tmp_path: Path) -> None:
    formula = tmp_path / "litestream.rb"
    formula.write_text(rendered().replace("# frozen_string_literal: true\n", ""))
    assert "Style/FrozenStringLiteralComment" in rubocop(formula).stdout


def test_rubocop_config_disables_no_cop() -> None:
    config = yaml.safe_load(RUBOCOP_CONFIG.read_text().replace("!ruby/regexp ", ""))
    for name, settings in config.items():
        assert isinstance(settings, dict), name
        assert settings.get("Enabled", True) is not False, f"{name} is switched off"
        assert "Exclude" not in settings, f"{name} excludes files"
        assert not settings.get("DisabledByDefault"), name
    assert config["Layout/LineLength"]["Max"] == 118
    assert config["Style/StringLiterals"]["EnforcedStyle"] == "double_quotes"
    assert config["Style/FrozenStringLiteralComment"]["EnforcedStyle"] == "always"
    assert "rubocop:disable" not in rendered()


def test_formula_task_writes_the_output_file_through_the_cli(tmp_path: Path) -> None:
    output = tmp_path / "out" / "litestream.rb"
    result = run_invoke(
        "release.formula", "--version", "v0.5.16", "--checksums", str(CHECKSUMS), "--output", str(output)
    )
    assert result.returncode == 0, result.stderr
    assert output.read_text() == GOLDEN.read_text()
    assert "formula: wrote" in result.stdout and "v0.5.16" in result.stdout


def test_default_output_is_formula_dir_of_this_repository() -> None:
    from release.homebrew.tasks import DEFAULT_OUTPUT

    assert DEFAULT_OUTPUT == PROJECT_ROOT / "Formula" / "litestream.rb"


def test_a_preview_is_marked_in_a_comment_line() -> None:
    tag = parse_version("v0.5.16")
    checksums = read_checksums(CHECKSUMS.read_text(), source="fixture")
    text = render_formula(tag, pick_archives(checksums, tag), url_base=URL_BASE, preview=True)
    assert is_preview(text) and not is_preview(rendered())
    assert text.splitlines()[5].startswith("# PREVIEW: sha256 values of a local build")
    assert text.replace(text.splitlines()[5] + "\n", "") == rendered()  # nothing else differs


def test_the_formula_is_prepared_by_named_steps_in_order(tmp_path: Path) -> None:
    said: list[str] = []
    inputs = FormulaInputs("v0.5.16", str(CHECKSUMS), URL_BASE, tmp_path / "no-dist")
    job = prepare_formula(inputs, say=said.append)
    assert [step.name for step in FORMULA_STEPS] == ["version", "checksums", "archives", "render"]
    headings = [line.split(":")[0] for line in said if line.startswith("[")]
    assert headings == ["[1/4] version", "[2/4] checksums", "[3/4] archives", "[4/4] render"]
    assert f"  checksums: {CHECKSUMS} (--checksums)" in said
    assert job.text == GOLDEN.read_text()
    assert [step.name for step in TAP_STEPS] == [*(step.name for step in FORMULA_STEPS), "downloads"]
