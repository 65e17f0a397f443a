"""Where a setting comes from: the flag, then the environment, then ``invoke.yaml``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from invoke.config import Config
from invoke.context import Context

from common.errors import UserError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def project_context() -> Context:
    """An Invoke context with this project's invoke.yaml and INVOKE_* env vars, as ``invoke`` itself would load."""
    config = Config(project_location=PROJECT_ROOT)
    config.load_project()
    config.load_shell_env()
    return Context(config=config)


def config_value(ctx: Any, dotted: str, default: Any = None) -> Any:
    """Read ``a.b`` from the Invoke context's config (invoke.yaml, INVOKE_A_B env, -f files)."""
    node: Any = getattr(ctx, "config", None)
    for key in dotted.split("."):
        if node is None:
            return default
        try:
            node = node[key]
        except (KeyError, TypeError, AttributeError):
            return default
    return default if node is None else node


def resolve_src(ctx: Any, src: str | None) -> Path:
    """The Litestream checkout: ``--src``, else ``LITESTREAM_SRC``, else ``litestream.src``."""
    chosen = src or os.environ.get("LITESTREAM_SRC") or config_value(ctx, "litestream.src")
    if not chosen:
        raise UserError(
            "no Litestream checkout given; pass --src DIR, set LITESTREAM_SRC, or set litestream.src in invoke.yaml"
        )
    return Path(str(chosen)).expanduser().resolve()
