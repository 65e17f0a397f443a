"""``--profile``: the load of Litestream's own behaviour suite, so a soak sees the data shapes upstream tests.

The values are the short mode of tests/integration/load_profiles.go (origin/main 63225f1; the suite's ``-short``, as
its CI gate runs it) and the checkpoint regression profile of ltx_behavior_test.go's
TestLTXBehavior_NoExcessiveSnapshots. Only the LOAD comes from a profile: every shape bound is derived from the load
and the litestream.yml (soak.analyze.shape), never from the suite's per-profile numbers. ``read_ratio`` is
litestream-test load's own default, which the suite does not change. A flag given explicitly wins over the profile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from common.errors import UserError


@dataclass(frozen=True)
class Profile:
    upstream: str  # the suite's name for it
    write_rate: int
    pattern: str
    payload_size: int
    workers: int
    initial_size: str
    read_ratio: str = "0.2"

    def to_json(self, name: str) -> dict[str, Any]:
        return {"name": name, **asdict(self)}


PROFILES: dict[str, Profile] = {
    # low traffic: retention/compaction and WAL growth when writes are sparse
    "low": Profile("low-volume", write_rate=10, pattern="constant", payload_size=1024, workers=1, initial_size="1MB"),
    # sustained writes: excessive snapshotting and WAL growth under load
    "high": Profile("high-volume", write_rate=100, pattern="wave", payload_size=1024, workers=4, initial_size="5MB"),
    # idle/busy transitions (3 s of double rate, 7 s idle): sync and snapshot bugs at load changes
    "burst": Profile("burst-volume", write_rate=500, pattern="burst", payload_size=2048, workers=2, initial_size="5MB"),
    # moderate writes of 4 KiB pages that force frequent checkpoints: the snapshot-on-checkpoint regression
    "checkpoint": Profile(
        "checkpoint-snapshot-regression",
        write_rate=50,
        pattern="constant",
        payload_size=4096,
        workers=2,
        initial_size="5MB",
    ),
}
LOAD_FLAGS = ("initial_size", "write_rate", "pattern", "payload_size", "workers", "read_ratio")


def profile_named(name: str) -> Profile:
    """The profile ``--profile NAME`` asks for; an unknown name is one line listing the known ones."""
    try:
        return PROFILES[name.strip()]
    except KeyError:
        raise UserError(f"--profile {name!r} is not a known load profile; use one of: {', '.join(PROFILES)}") from None


def typed_flags(argv: Sequence[str], short: Mapping[str, str], task: str = "soak.overnight") -> set[str]:
    """The option names typed after ``task`` (``--write-rate 5``, ``--write-rate=5``, ``-w 5``, ``-w5``): Invoke
    hands a task its defaults and the typed values alike, so only argv tells whether a flag was given."""
    letters = {letter: name for name, letter in short.items()}
    names = set()
    args = list(argv)
    for arg in args[args.index(task) + 1 if task in args else 1 :]:
        if arg.startswith("--"):
            names.add(arg[2:].split("=", 1)[0].replace("-", "_"))
        elif arg.startswith("-") and len(arg) > 1 and arg[1] in letters:
            names.add(letters[arg[1]])
    return names


def load_values(profile: str | None, typed: set[str], values: dict[str, Any]) -> dict[str, Any]:
    """The load flags: the profile's value for each one not typed on the command line, else the flag's value."""
    if not profile:
        return values
    chosen = asdict(profile_named(profile))
    return {key: value if key in typed or key not in chosen else chosen[key] for key, value in values.items()}
