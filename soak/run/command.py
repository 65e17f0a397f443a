"""The command line of a soak, for run.json: as typed, and as a command that replays the run.

A bug report needs the exact command, and with random fault timing that includes the seed the run drew. ``typed``
is sys.argv with the program named ``invoke``; ``replay`` rebuilds ``invoke soak.overnight`` from the flags that
differ from their defaults, with ``--fault-seed`` made explicit and without ``--test-dir``/``--repeat`` (a replay
needs a new directory and is one run). Neither may hold a secret: credentials never come in through flags, and a URL
with ``user:password@`` has the password masked all the same.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from common.secrets import mask

NOT_REPLAYED = ("test_dir", "repeat", "fault_seed")


def typed(argv: Sequence[str] | None = None) -> list[str]:
    """The command as typed: ``invoke`` and its arguments (``python -m invoke`` and a venv path say the same)."""
    args = list(sys.argv if argv is None else argv)
    return ["invoke", *(mask(a) for a in args[1:])]


def replay(task: str, flags: Mapping[str, Any], defaults: Mapping[str, Any], *, fault_seed: int | None) -> list[str]:
    """``invoke TASK --flag value ...`` for every flag that differs from its default, then ``--fault-seed N``."""
    out = ["invoke", task]
    for name, value in flags.items():
        if name in NOT_REPLAYED or value in (None, False, [], ()) or value == defaults.get(name):
            continue
        flag = "--" + name.replace("_", "-")
        if value is True:
            out.append(flag)
        elif isinstance(value, list | tuple):
            for item in value:
                out += [flag, mask(str(item))]
        else:
            out += [flag, mask(str(value))]
    if fault_seed is not None:
        out += ["--fault-seed", str(fault_seed)]
    return out
