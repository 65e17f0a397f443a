"""One precedence for every setting: flag > environment > user config > project config > default, layer by layer.

The config files are real files loaded by Invoke's own Config (system, user, project and runtime levels), in
temporary directories standing in for /etc, $HOME and the repository; the CLI tests run the real ``invoke``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from invoke.config import Config

from common.errors import UserError
from common.settings import SETTINGS, Settings, resolve_src
from tests.support.cli import assert_one_error_line, run_invoke
from tests.support.homebrew import CHECKSUMS, OLDER, make_tap
from tests.support.soak import clean_environ, result_of, start_soak, wait_for_phase


def _write(path: Path, data: dict[str, object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data))
    return path


class Layers:
    """/etc, $HOME, the project and a -f file in a temporary directory; each holds s3.region only when asked."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.etc, self.home, self.project = root / "etc", root / "home", root / "project"
        self.runtime = root / "runtime.yaml"
        self.environ: dict[str, str] = {}

    def set(self, where: str, key: str, value: object) -> None:
        section, name = key.split(".")
        path = {
            "system": self.etc / "invoke.yaml",
            "user": self.home / ".invoke.yaml",
            "project": self.project / "invoke.yaml",
            "runtime": self.runtime,
        }[where]
        data = yaml.safe_load(path.read_text()) if path.exists() else {}
        data.setdefault(section, {})[name] = value
        _write(path, data)

    def settings(self) -> Settings:
        config = Config(
            system_prefix=f"{self.etc}/",
            user_prefix=f"{self.home}/.",
            project_location=self.project,
            runtime_path=str(self.runtime) if self.runtime.exists() else None,
        )
        config.load_project()
        config.load_runtime()
        return Settings.from_config(config, self.environ)


@pytest.fixture
def layers(tmp_path: Path) -> Layers:
    return Layers(tmp_path)


def test_default_when_no_layer_holds_the_key(layers: Layers) -> None:
    resolved = layers.settings().resolve("s3.region")
    assert (resolved.value, resolved.source) == ("us-east-1", "default")


def test_project_config_beats_the_default(layers: Layers) -> None:
    layers.set("project", "s3.region", "ap-south-1")
    resolved = layers.settings().resolve("s3.region")
    assert (resolved.value, resolved.source) == ("ap-south-1", str(layers.project / "invoke.yaml"))


def test_user_config_beats_project_config(layers: Layers) -> None:
    """Invoke's own merge puts the project file over the user's; ours does not (a user's ~/.invoke.yaml wins)."""
    layers.set("project", "tap.repo", "https://github.com/benbjohnson/homebrew-litestream.git")
    layers.set("user", "tap.repo", "https://github.com/me/homebrew-litestream.git")
    resolved = layers.settings().resolve("tap.repo")
    assert (resolved.value, resolved.source) == (
        "https://github.com/me/homebrew-litestream.git",
        str(layers.home / ".invoke.yaml"),
    )


def test_user_config_files_in_order_runtime_then_home_then_etc(layers: Layers) -> None:
    layers.set("project", "s3.region", "project")
    layers.set("system", "s3.region", "etc")
    assert layers.settings().get("s3.region") == "etc"
    layers.set("user", "s3.region", "home")
    assert layers.settings().get("s3.region") == "home"
    layers.set("runtime", "s3.region", "runtime")
    assert layers.settings().get("s3.region") == "runtime"


@pytest.mark.parametrize(("variable", "key"), [("AWS_REGION", "s3.region"), ("S3_BUCKET", "s3.bucket")])
def test_the_conventional_variable_beats_every_config_file(layers: Layers, variable: str, key: str) -> None:
    for where in ("project", "user", "runtime"):
        layers.set(where, key, f"from-{where}")
    layers.environ[variable] = "eu-west-1"
    resolved = layers.settings().resolve(key)
    assert (resolved.value, resolved.source) == ("eu-west-1", variable)


def test_invoke_variable_beats_config_files_and_yields_to_the_conventional_one(layers: Layers) -> None:
    layers.set("user", "s3.region", "from-home")
    layers.environ["INVOKE_S3_REGION"] = "ca-central-1"
    assert layers.settings().resolve("s3.region").source == "INVOKE_S3_REGION"
    layers.environ["AWS_REGION"] = "eu-west-1"
    assert layers.settings().get("s3.region") == "eu-west-1"


def test_the_flag_beats_everything(layers: Layers) -> None:
    layers.set("user", "s3.region", "from-home")
    layers.environ.update(AWS_REGION="eu-west-1", INVOKE_S3_REGION="ca-central-1")
    resolved = layers.settings().resolve("s3.region", "sa-east-1")
    assert (resolved.value, resolved.source) == ("sa-east-1", "--region")


def test_a_layer_that_holds_an_empty_value_decides(layers: Layers) -> None:
    layers.set("project", "tap.repo", "https://github.com/benbjohnson/homebrew-litestream.git")
    layers.environ["INVOKE_TAP_REPO"] = ""
    assert layers.settings().resolve("tap.repo").source == "INVOKE_TAP_REPO"
    assert layers.settings().get("tap.repo") == ""


def test_a_null_in_a_file_passes_to_the_next_layer(layers: Layers) -> None:
    layers.set("project", "tap.branch", "release")
    layers.set("user", "tap.branch", None)
    assert layers.settings().get("tap.branch") == "release"


def test_every_setting_has_one_invoke_variable() -> None:
    assert SETTINGS["tap.author_email"].invoke_env == "INVOKE_TAP_AUTHOR_EMAIL"
    assert SETTINGS["litestream.src"].env == ("LITESTREAM_SRC",)


def test_src_comes_through_the_same_layers(layers: Layers, tmp_path: Path) -> None:
    layers.set("user", "litestream.src", str(tmp_path / "from-home"))
    assert resolve_src(layers.settings(), None) == tmp_path / "from-home"
    layers.environ["LITESTREAM_SRC"] = str(tmp_path / "from-env")
    assert resolve_src(layers.settings(), None) == tmp_path / "from-env"
    assert resolve_src(layers.settings(), str(tmp_path / "flag")) == tmp_path / "flag"
    with pytest.raises(UserError, match="no Litestream checkout given"):
        resolve_src(Layers(tmp_path / "empty").settings(), None)


def test_for_project_reads_the_users_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the gate (under nox, not invoke) resolves: ~/.invoke.yaml of the HOME it runs with."""
    _write(tmp_path / ".invoke.yaml", {"tap": {"repo": "/srv/my-tap.git"}, "s3": {"region": "eu-north-1"}})
    monkeypatch.setenv("HOME", str(tmp_path))
    settings = Settings.for_project(environ={})
    assert settings.resolve("tap.repo").source == str(tmp_path / ".invoke.yaml")
    assert settings.get("tap.repo") == "/srv/my-tap.git", "the user's tap, not this repository's invoke.yaml"
    assert settings.get("s3.region") == "eu-north-1"
    assert Settings.for_project(environ={"AWS_REGION": "eu-west-1"}).get("s3.region") == "eu-west-1"


# ------------------------------------------------------------------ through the real invoke CLI


def test_cli_tap_repo_from_the_users_invoke_yaml(tmp_path: Path) -> None:
    """The README says to set tap.repo in ~/.invoke.yaml: invoke.yaml's own tap must not win over it."""
    bare = make_tap(tmp_path / "taps", {"litestream.rb": OLDER.read_text()})
    home = tmp_path / "home"
    _write(home / ".invoke.yaml", {"tap": {"repo": str(bare)}})
    env = {k: v for k, v in clean_environ().items() if not k.startswith("INVOKE_TAP_")}
    done = run_invoke(
        "release.tap",
        "--version",
        "v0.5.16",
        "--checksums",
        str(CHECKSUMS),
        "--dry-run",
        base=env,
        env={"HOME": str(home)},
    )
    assert done.returncode == 0, done.stderr
    assert "+++ b/litestream.rb" in done.stdout


def test_cli_empty_invoke_variable_beats_the_users_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _write(home / ".invoke.yaml", {"tap": {"repo": str(tmp_path / "tap.git")}})
    done = run_invoke("release.tap-setup", env={"HOME": str(home), "INVOKE_TAP_REPO": ""})
    assert_one_error_line(done, "no tap repository given")


def test_cli_aws_region_beats_the_users_config_file(tmp_path: Path) -> None:
    """AWS_REGION=eu-west-1 reaches the soak even when a config file names another region."""
    home = tmp_path / "home"
    _write(home / ".invoke.yaml", {"s3": {"region": "us-west-2"}})
    run_dir = tmp_path / "run"
    proc = start_soak(run_dir, "--duration", "5m", env={"HOME": str(home), "AWS_REGION": "eu-west-1"})
    try:
        wait_for_phase(proc, run_dir)
    finally:
        proc.terminate()
        proc.communicate(timeout=90)
    assert json.loads((run_dir / "run.json").read_text())["s3"]["region"] == "eu-west-1"
    assert result_of(run_dir)["status"] == "interrupted"


def test_cli_user_config_region_reaches_the_soak_without_the_variable(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _write(home / ".invoke.yaml", {"s3": {"region": "us-west-2"}})
    run_dir = tmp_path / "run"
    proc = start_soak(run_dir, "--duration", "5m", env={"HOME": str(home)})
    try:
        wait_for_phase(proc, run_dir)
    finally:
        proc.terminate()
        proc.communicate(timeout=90)
    assert json.loads((run_dir / "run.json").read_text())["s3"]["region"] == "us-west-2"


@pytest.mark.parametrize("layer", ["environment", "user config"])
def test_cli_build_src_from_the_environment_or_the_users_file(tmp_path: Path, layer: str) -> None:
    """`invoke build` without --src takes LITESTREAM_SRC, else litestream.src in ~/.invoke.yaml (and checks it)."""
    missing = tmp_path / f"no-such-checkout-{layer.replace(' ', '-')}"
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home)}
    if layer == "environment":
        env["LITESTREAM_SRC"] = str(missing)
    else:
        _write(home / ".invoke.yaml", {"litestream": {"src": str(missing)}})
    base = {k: v for k, v in clean_environ().items() if k not in ("LITESTREAM_SRC", "INVOKE_LITESTREAM_SRC")}
    done = run_invoke("build", "--out", str(tmp_path / "bin"), base=base, env=env)
    assert_one_error_line(done, f"{missing} does not exist")
