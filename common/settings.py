"""Where a setting comes from, in one order for every task and for the gate's preflight:

    flag > environment > user config > project config > default

- **flag**: the task's own option (``--region``), when given;
- **environment**: the conventional variable (``AWS_REGION``, ``S3_BUCKET``, ``LITESTREAM_SRC``), then Invoke's
  ``INVOKE_<SECTION>_<KEY>`` (``INVOKE_S3_REGION``);
- **user config**: a file given with ``invoke -f FILE``, then ``~/.invoke.yaml``, then ``/etc/invoke.yaml``;
- **project config**: ``invoke.yaml`` in this repository;
- **default**: ``SETTINGS`` below.

The files are the ones Invoke itself finds and loads (its config layers); only their order is ours. Invoke merges the
project file over the user's, so a maintainer could not override this repository's ``invoke.yaml`` from
``~/.invoke.yaml``; here the user's file wins, as a user's setting should. A layer that holds a key decides, even
with an empty value (``INVOKE_TAP_REPO=`` means "no tap"); a key that is absent or null passes to the next layer.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from invoke.config import Config

from common.errors import UserError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RELEASES_URL = "https://github.com/benbjohnson/litestream/releases/download"


@dataclass(frozen=True)
class Setting:
    """One setting: its dotted key in the config files, its default, and the conventional variables that set it."""

    key: str
    default: str
    env: tuple[str, ...] = ()

    @property
    def invoke_env(self) -> str:
        """The variable Invoke names it by: ``s3.region`` -> ``INVOKE_S3_REGION``."""
        return "INVOKE_" + self.key.replace(".", "_").upper()


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting("litestream.src", "", ("LITESTREAM_SRC",)),
        Setting("s3.bucket", "", ("S3_BUCKET",)),  # empty: the soak starts its embedded S3
        Setting("s3.region", "us-east-1", ("AWS_REGION", "AWS_DEFAULT_REGION")),
        Setting("s3.endpoint", ""),  # empty: AWS itself
        Setting("release.url_base", RELEASES_URL),
        Setting("tap.repo", ""),
        Setting("tap.branch", "main"),
        Setting("tap.path", "litestream.rb"),
        Setting("tap.author_name", "litestream-release-tools"),
        Setting("tap.author_email", "release-tools@litestream.io"),
        # the gate's --baseline: a figure regresses above baseline x ratio + slack (release/gate/baseline.py)
        Setting("baseline.restore_ratio", "1.5"),
        Setting("baseline.restore_slack_s", "10"),
        Setting("baseline.replica_age_ratio", "2"),
        Setting("baseline.replica_age_slack_s", "5"),
        Setting("baseline.rss_ratio", "2"),
        Setting("baseline.rss_slack_mib", "128"),
        Setting("baseline.l0_bytes_per_row_ratio", "1.5"),
        Setting("baseline.critical_errors_increase", "0"),
    )
}


@dataclass(frozen=True)
class Resolved:
    """A setting's value and the layer it came from (``--region``, ``AWS_REGION``, a file's path, ``default``)."""

    value: str
    source: str


@dataclass(frozen=True)
class ConfigFile:
    """One config file Invoke loaded, and its data."""

    path: str
    data: Mapping[str, Any]


def _lookup(data: Mapping[str, Any], key: str) -> Any:
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _loaded(config: Any, level: str) -> ConfigFile | None:
    """The file Invoke loaded for one of its levels (runtime, user, system, project), if it found one.

    Invoke keeps each level's data and path on the Config as ``_<level>`` and ``_<level>_path`` (every release
    since 1.0); the merged view cannot say which level a value came from.
    """
    path = getattr(config, f"_{level}_path", None)
    data = getattr(config, f"_{level}", None)
    if not path or not isinstance(data, Mapping):
        return None
    return ConfigFile(str(path), data)


class Settings:
    """The settings of one task run, resolved in the one order above."""

    def __init__(
        self,
        user_files: Sequence[ConfigFile],
        project_files: Sequence[ConfigFile],
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.user_files = list(user_files)
        self.project_files = list(project_files)
        self.environ = os.environ if environ is None else environ

    @classmethod
    def from_config(cls, config: Any, environ: Mapping[str, str] | None = None) -> Settings:
        """From an Invoke Config with its files loaded (what a task's context carries)."""
        user = [f for f in (_loaded(config, level) for level in ("runtime", "user", "system")) if f]
        project = [f for f in (_loaded(config, "project"),) if f]
        return cls(user, project, environ)

    @classmethod
    def from_context(cls, ctx: Any) -> Settings:
        """The settings of a running task: ``ctx`` is its Invoke context."""
        return cls.from_config(ctx.config)

    @classmethod
    def for_project(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Outside a task (the nox gate): the files ``invoke`` would load when run in this repository."""
        config = Config(project_location=PROJECT_ROOT)  # not lazy: /etc/invoke.yaml and ~/.invoke.yaml load now
        config.load_project()
        return cls.from_config(config, environ)

    def resolve(self, key: str, flag: object = None, *, flag_name: str | None = None) -> Resolved:
        """The value of ``key`` and where it came from; ``flag`` is the task option's value (None: not given)."""
        setting = SETTINGS[key]
        if flag is not None:
            return Resolved(str(flag), flag_name or f"--{key.rsplit('.', 1)[-1].replace('_', '-')}")
        for name in (*setting.env, setting.invoke_env):
            if name in self.environ:
                return Resolved(self.environ[name], name)
        for config_file in (*self.user_files, *self.project_files):
            value = _lookup(config_file.data, key)
            if value is not None:
                return Resolved(str(value), config_file.path)
        return Resolved(setting.default, "default")

    def get(self, key: str, flag: object = None) -> str:
        return self.resolve(key, flag).value


def resolve_src(settings: Settings, src: str | None) -> Path:
    """The Litestream checkout: ``--src``, else ``LITESTREAM_SRC``, else ``litestream.src`` in a config file."""
    chosen = settings.get("litestream.src", src)
    if not chosen:
        raise UserError(
            "no Litestream checkout given; pass --src DIR, set LITESTREAM_SRC, or set litestream.src in "
            "~/.invoke.yaml or invoke.yaml"
        )
    return Path(chosen).expanduser().resolve()
