"""How git authenticates to the tap: the token stays in the environment, never in a URL, file, log or argv.

For an https remote with ``HOMEBREW_TAP_GITHUB_TOKEN`` set, every git child gets ``GIT_ASKPASS`` pointing at a
script that prints the token *from its own environment*; the script holds no secret. Credential helpers are
switched off for those children (through ``GIT_CONFIG_*`` variables, not argv) so no helper stores the token.
Without the token, git runs with the user's own setup (ssh keys, helpers) and never prompts.
"""

from __future__ import annotations

import ipaddress
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from git import Git

from common.errors import UserError

TOKEN_ENV = "HOMEBREW_TAP_GITHUB_TOKEN"
# GIT_CONFIG_COUNT/KEY/VALUE (config from the environment) arrived in git 2.31.
MIN_GIT = (2, 31)
# GitHub accepts any user name with a token; this is the one its docs use for app and Actions tokens.
TOKEN_USER = "x-access-token"

_ASKPASS = f"""#!/bin/sh
# git asks for a user name, then a password; the password is read from the environment, never stored here.
case "$1" in
  Username*) echo {TOKEN_USER} ;;
  *) printf '%s\\n' "${TOKEN_ENV}" ;;
esac
"""


@dataclass
class GitAuth:
    """The environment every git child of one tap job runs with, and the secret to scrub from messages."""

    env: dict[str, str] = field(default_factory=dict)
    secret: str | None = None

    def redact(self, text: str) -> str:
        return text.replace(self.secret, "***") if self.secret else text


def _is_loopback(host: str | None) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def describe_remote(url: str) -> str:
    """The URL as it may be shown: never with a password in it."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    return parts._replace(netloc=netloc).geturl()


def git_auth(url: str, workdir: Path) -> GitAuth:
    """Check the remote URL and build the git environment; the askpass script goes into ``workdir``."""
    parts = urlsplit(url)
    if parts.password is not None:
        raise UserError(
            f"the tap URL {describe_remote(url)} carries a password; remove it and put the token in {TOKEN_ENV}"
        )
    env = {"GIT_TERMINAL_PROMPT": "0"}
    token = os.environ.get(TOKEN_ENV, "").strip()
    if parts.scheme not in ("https", "http") or not token:
        return GitAuth(env=env)
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise UserError(f"refusing to send {TOKEN_ENV} over plain http to {parts.hostname}; use an https tap URL")
    version = tuple(Git().version_info[:2])
    if version < MIN_GIT:
        shown = ".".join(map(str, version))
        raise UserError(
            f"git {shown} cannot take settings from the environment, so a credential helper could store "
            f"{TOKEN_ENV}; install git >= {'.'.join(map(str, MIN_GIT))}"
        )
    askpass = workdir / "askpass.sh"
    askpass.write_text(_ASKPASS, encoding="utf-8")
    askpass.chmod(stat.S_IRWXU)
    env.update(
        {
            "GIT_ASKPASS": str(askpass),
            # One config entry from the environment: an empty credential.helper resets the helper list.
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "credential.helper",
            "GIT_CONFIG_VALUE_0": "",
        }
    )
    return GitAuth(env=env, secret=token)
