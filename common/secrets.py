"""What must never leave this process: the tap token's variable, and passwords inside URLs.

The release gate runs Litestream's code (its tests, its binaries, the embedded S3) with ``--publish`` set up, so the
token that can push to the tap is dropped from every child's environment that does not push; and a URL printed in an
error or recorded in run.json (a GOPROXY, an endpoint) gets its ``user:password@`` masked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Only git's askpass helper (release/homebrew/git_auth.py) reads it, from this process's own environment.
TOKEN_VARS = ("HOMEBREW_TAP_GITHUB_TOKEN",)
_USERINFO = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^/@\s:]*):[^/@\s]*@")


def mask(text: str) -> str:
    """``https://key:secret@host`` -> ``https://key:***@host``; anything else unchanged."""
    return _USERINFO.sub(r"\1:***@", text)


def without_tokens(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` minus the tap token: for every child that is not git pushing to the tap."""
    return {key: value for key, value in env.items() if key not in TOKEN_VARS}
