"""``--profile``: the load of Litestream's own behaviour suite, so a soak sees the data shapes upstream tests.

The values are the short mode of tests/integration/load_profiles.go (origin/main 63225f1; the suite's ``-short``, as
its CI gate runs it) and the checkpoint regression profile of ltx_behavior_test.go's
TestLTXBehavior_NoExcessiveSnapshots. Only the LOAD comes from a profile: every shape bound is derived from the load
and the litestream.yml (soak.analyze.shape), never from the suite's per-profile numbers. ``read_ratio`` is
litestream-test load's own default, which the suite does not change. A flag given explicitly wins over the profile.
"""

from __future__ import annotations

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
# The task's own defaults when neither a flag nor a profile sets a value.
PLAIN = {
    "write_rate": 100,
    "pattern": "wave",
    "payload_size": 4096,
    "workers": 8,
    "initial_size": "100MB",
    "read_ratio": "0.3",
}


def profile_named(name: str) -> Profile:
    """The profile ``--profile NAME`` asks for; an unknown name is one line listing the known ones."""
    try:
        return PROFILES[name.strip()]
    except KeyError:
        raise UserError(f"--profile {name!r} is not a known load profile; use one of: {', '.join(PROFILES)}") from None


def load_values(profile: str | None, given: dict[str, Any]) -> dict[str, Any]:
    """The load flags: each one given explicitly (not None) wins, then the profile's value, then the plain default."""
    chosen = asdict(profile_named(profile)) if profile else {}
    return {
        key: given[key] if given.get(key) is not None else chosen.get(key, default) for key, default in PLAIN.items()
    }
