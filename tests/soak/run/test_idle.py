"""idle_quiet on real v0.5.16 log excerpts (tests/fixtures/logs/idle/README.md says where each comes from)."""

from __future__ import annotations

from common.timestamps import parse_utc
from soak.run.idle import idle_activity
from tests.support.paths import FIXTURES

IDLE = FIXTURES / "logs" / "idle"


def _t(text: str) -> float:
    t = parse_utc(text)
    assert t is not None
    return t


def test_a_settled_idle_phase_is_quiet() -> None:
    """The load's last uploads fall in the first sync interval; then one checkpoint and the L0 it makes."""
    activity = idle_activity(
        IDLE / "v0.5.16-idle-60s.log", _t("2026-12-05T07:48:33.848Z"), _t("2026-12-05T07:49:34.349Z"), 1.0
    )
    assert (activity.uploads, activity.checkpoints) == (1, 1)
    assert activity.quiet
    assert "msg=checkpoint" in activity.lines[0] and "07:48:42.786Z" in activity.lines[0]
    assert 'msg="ltx file uploaded"' in activity.lines[1] and "size=192" in activity.lines[1]
    assert activity.to_json()["judged_from"] == "2026-12-05T07:48:36.848Z"


def test_the_sync_right_after_the_load_is_not_judged() -> None:
    """Judged from the very start, the load's own last uploads (07:48:33.801, 07:48:34.801) would count."""
    activity = idle_activity(
        IDLE / "v0.5.16-idle-60s.log", _t("2026-12-05T07:48:33.848Z") - 3.0, _t("2026-12-05T07:49:34.349Z"), 0.0
    )
    assert activity.uploads == 3 and not activity.quiet


def test_a_litestream_that_keeps_uploading_and_checkpointing_is_not_quiet() -> None:
    """Real lines of a window in which litestream worked every second (the load was writing)."""
    activity = idle_activity(
        IDLE / "v0.5.16-load-30s.log", _t("2026-12-05T07:47:30.000Z"), _t("2026-12-05T07:47:59.999Z"), 1.0
    )
    assert activity.uploads > 20 and activity.checkpoints >= 2
    assert not activity.quiet
    assert "keeps working on a database nobody writes" in activity.detail()
    assert len(activity.lines) == 20


def test_no_log_is_never_quiet() -> None:
    activity = idle_activity(IDLE / "absent.log", 0.0, 60.0, 1.0)
    assert not activity.quiet and "cannot judge the idle phase" in activity.detail()


def test_an_idle_phase_within_the_unjudged_settle_cannot_be_judged() -> None:
    """2 s of idle: all of it is the first sync interval and the slack, so nothing was judged and nothing passes."""
    start = _t("2026-12-05T07:48:33.848Z")
    activity = idle_activity(IDLE / "v0.5.16-idle-60s.log", start, start + 2.0, 1.0)
    assert (activity.uploads, activity.checkpoints) == (0, 0)
    assert not activity.quiet
    assert "cannot judge the idle phase: it lasted 2.0s" in activity.detail()
