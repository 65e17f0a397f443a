"""Reading .goreleaser.yml without GoReleaser: the matrix, defaults, files; the ldflags templates; GoReleaser's errors.

The expected matrices are GoReleaser v2.17.0's own: ``dist/config.yaml`` of real runs listed these targets.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import UserError
from release.build.goreleaser_config import DEFAULT_LDFLAGS, Target, find_config, load_config, valid_platforms
from release.build.goreleaser_run import failure_summary
from release.build.gotemplate import TemplateError, render
from tests.support.golit import FIXTURE, GORELEASER_YML

LITESTREAM_TARGETS = [
    "darwin_amd64_v1",
    "darwin_arm64_v8.0",
    "linux_amd64_v1",
    "linux_arm64_v8.0",
    "linux_arm_6",
    "linux_arm_7",
    "windows_amd64_v1",
    "windows_arm64_v8.0",
]


def config_from(tmp_path: Path, text: str) -> Path:
    (tmp_path / ".goreleaser.yml").write_text(text)
    return tmp_path / ".goreleaser.yml"


def test_the_fixture_matrix_is_litestreams() -> None:
    config = load_config(GORELEASER_YML)
    (build,) = config.builds
    assert sorted(t.name for t in build.targets) == LITESTREAM_TARGETS
    assert build.trimpath and build.env_map() == {"CGO_ENABLED": "0"}
    assert build.ldflags == ("-s -w -X main.Version={{.Version}}",)
    (archive,) = config.archives
    assert archive.formats_for("windows") == ("zip",) and archive.formats_for("linux") == ("tar.gz",)
    assert [f.src for f in archive.files] == ["etc/litestream.yml", "etc/litestream.service", "README.md", "LICENSE"]
    assert config.nfpms[0].formats == ("deb", "rpm") and config.sboms


def test_defaults_are_goreleasers(tmp_path: Path) -> None:
    text = "version: 2\nproject_name: x\nbuilds:\n  - main: ./cmd/x\n    ignore:\n"
    text += "      - goos: windows\n        goarch: '386'\n"
    config = load_config(config_from(tmp_path, text))
    (build,) = config.builds
    # As GoReleaser's dist/config.yaml listed them: darwin/386 is not a Go platform, windows/386 is ignored.
    assert [t.name for t in build.targets] == [
        "linux_amd64_v1",
        "linux_arm64_v8.0",
        "linux_386_sse2",
        "darwin_amd64_v1",
        "darwin_arm64_v8.0",
        "windows_amd64_v1",
        "windows_arm64_v8.0",
    ]
    assert (build.id, build.binary, build.ldflags) == ("x", "x", (DEFAULT_LDFLAGS,))
    (archive,) = config.archives
    assert archive.id == "default" and archive.default_files
    assert [f.src for f in archive.files][:2] == ["license*", "LICENSE*"]


def test_explicit_targets_get_the_default_sub_architecture() -> None:
    assert Target.parse("linux_amd64") == Target("linux", "amd64", "v1")
    assert Target.parse("linux_arm") == Target("linux", "arm", "6")
    assert Target.parse("linux_arm64_v8.0").go_env == {"GOOS": "linux", "GOARCH": "arm64", "GOARM64": "v8.0"}
    assert Target.parse("linux_arm_7").go_env == {"GOOS": "linux", "GOARCH": "arm", "GOARM": "7"}


def test_go_can_build_the_matrix_platforms() -> None:
    assert {"linux/arm", "darwin/arm64", "windows/arm64"} <= valid_platforms()
    assert "darwin/arm" not in valid_platforms()


def test_find_config_uses_goreleasers_lookup_order(tmp_path: Path) -> None:
    (tmp_path / "goreleaser.yaml").write_text("version: 2\n")
    (tmp_path / ".goreleaser.yml").write_text("version: 2\n")
    assert find_config(tmp_path).name == ".goreleaser.yml"
    assert find_config(FIXTURE) == GORELEASER_YML


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("version: 1\nbuilds: []\n", "not a GoReleaser v2 config"),
        ("version: 2\nbuilds: [\n", "is not valid YAML"),
        ("- a\n- b\n", "no top-level mapping"),
        ("version: 2\nbuilds:\n  - builder: rust\n", "'rust' build; release.build checks Go builds only"),
        ("version: 2\nbuilds:\n  - goos: linux-and-more\n    env: {a: b}\n", "builds\\[\\].env is not a list"),
        ("version: 2\nbuilds:\n  - targets: [go_first_class]\n", "cannot expand"),
    ],
)
def test_configs_release_build_cannot_read_are_one_line(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(UserError, match=match):
        load_config(config_from(tmp_path, text))


def test_templates_render_plain_fields_and_trim_markers() -> None:
    assert render("-s -w -X main.Version={{.Version}}", {"Version": "0.5.16"}) == "-s -w -X main.Version=0.5.16"
    name = "{{ .ProjectName }}-\n      {{- .Version }}-{{ .Env.OS_NAME }}"
    assert render(name, {"ProjectName": "litestream", "Version": "v1-next"}, {"OS_NAME": "linux"}) == (
        "litestream-v1-next-linux"
    )


@pytest.mark.parametrize("template", ["{{ if .Arm }}v{{ .Arm }}{{ end }}", "{{ .Date | upper }}", "{{ .Env.NOPE }}"])
def test_templates_beyond_plain_fields_are_refused(template: str) -> None:
    with pytest.raises(TemplateError):
        render(template, {"Arm": "6", "Date": "now"}, {})


def test_goreleaser_failure_summary_is_its_own_error_in_one_line() -> None:
    dirty = (
        "  • getting and validating git state\n"
        "  ⨯ release failed after 0s                        \n"
        "    error=\n"
        "    │ git is in a dirty state\n"
        "    │ Please check in your pipeline what can be changing the following files:\n"
        "    │  M README.md\n"
        "    │ Learn more at https://goreleaser.com/errors/dirty\n"
    )
    summary = failure_summary(dirty)
    assert summary.startswith("release failed after 0s error=git is in a dirty state")
    assert "M README.md" in summary and "\n" not in summary
    tagged = "  ⨯ release failed after 0s   error=git tag v0.5.16 was not made against commit 63225f17\n"
    assert (
        failure_summary(tagged) == "release failed after 0s error=git tag v0.5.16 was not made against commit 63225f17"
    )
