"""The JSON of a run directory, defined once: run.json, metrics.jsonl, result.json and the lines of logs/faults.log.

soak.overnight writes these files; soak.analyze reads them with ``read_tolerant`` (a field of the wrong type
is dropped with a warning, so a hand-edited or half-written file means "no data" there, never a crash); the
tests check what the soak writes with ``written_problems`` (exact types, no undocumented key); docs/rundir.md is
generated from these classes (``python -m soak.rundir_docs``) and a test fails when it drifts.

Adding a field is one line in its class (type, default None, description), then regenerating docs/rundir.md.
Types are JSON's, exactly: ``3`` is no string and ``true`` no number. Keys a class does not name are kept
but never read, so old runs and newer ones both load.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from common.timestamps import parse_utc

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Label:
    """How docs/rundir.md names a type that JSON spells as another (a time is a string)."""

    text: str


def _time(text: str) -> str:
    if parse_utc(text) is None:
        raise ValueError("not an ISO 8601 time such as 2026-12-01T07:00:00.123Z")
    return text


Time = Annotated[str, AfterValidator(_time), Label("time")]
Number = int | float
Kind = Literal["kill", "restart", "outage", "latency", "reset", "http_error"]
Event = Literal["start", "end", "inject"]
Status = Literal["pass", "fail", "incomplete", "interrupted"]
CheckName = Literal[
    "no_crash", "catch_up", "restore", "integrity", "row_counts", "digests",
    "periodic_restore", "replica_age", "crash_restore", "idle_quiet", "pitr", "corrupt_object",
    # the replica's shape (soak.analyze.shape); a criterion without data is in ``shape`` only, never a check
    "l0_size", "snapshot_cadence", "compaction_cadence", "wal_bounded", "checkpoints_observed",
]  # fmt: skip


class Model(BaseModel):
    """Exact JSON types; unknown keys are kept (``model_extra``) and ignored."""

    model_config = ConfigDict(strict=True, extra="allow")


# --------------------------------------------------------------------------------------------------- run.json
class Params(Model):
    """The soak's parameters as given (after parsing the flags)."""

    duration_s: Number | None = Field(None, description="how long the load runs, seconds")
    initial_size_bytes: int | None = Field(None, description="size populate makes the database before the load")
    write_rate: int | None = Field(None, description="--write-rate, write ticks per second")
    pattern: str | None = Field(None, description="constant, burst, random or wave")
    payload_size: int | None = Field(None, description="bytes of each written row's payload")
    workers: int | None = Field(None, description="load generator workers")
    read_ratio: Number | None = Field(None, description="share of ticks that read instead of write, 0..1")
    interval_s: Number | None = Field(None, description="seconds between two metrics.jsonl lines")
    replica: str | None = Field(None, description="s3 or file")


class Binary(Model):
    """One executable the soak ran."""

    path: str | None = Field(None, description="absolute path")
    version: str | None = Field(None, description="what its `version` command printed")
    commit: str | None = Field(None, description="the commit it was built from (litestream-test), null when unknown")


class Binaries(Model):
    """The two executables."""

    litestream: Binary | None = Field(None, description="litestream replicate/restore")
    litestream_test: Binary | None = Field(None, description="litestream-test populate/load")


class Source(Model):
    """Where the binaries came from: a checkout (--src), a directory (--bin), or a release (--litestream)."""

    kind: Literal["checkout", "bin", "release"] | None = Field(None, description="checkout, bin or release")
    version: str | None = Field(None, description="release: the tag installed from the Go module proxy")
    module: str | None = Field(None, description="release: the Go module it was installed from")
    path: str | None = Field(None, description="the checkout, the --bin directory, or the release's cache directory")


class S3Location(Model):
    """Where the replica went; never a credential."""

    embedded: bool | None = Field(None, description="true: the soak's own embedded S3 (versitygw) on 127.0.0.1")
    bucket: str | None = Field(None, description="bucket name")
    prefix: str | None = Field(None, description="key prefix of the replica")
    region: str | None = Field(None, description="AWS region")
    endpoint: str | None = Field(None, description="S3 endpoint URL; null for AWS itself")
    litestream_endpoint: str | None = Field(None, description="the endpoint litestream used (a fault proxy), or null")
    replica_url: str | None = Field(None, description="s3://bucket/prefix")
    server_dir: str | None = Field(
        None, description="the embedded S3's directory (the bucket is a subdirectory); null for any other S3"
    )
    server: str | None = Field(None, description="the embedded S3 server and version, e.g. versitygw v1.8.0")


class Config(Model):
    """The schedule written into litestream.yml."""

    schedule: str | None = Field(None, description="the --schedule preset: default or fast")
    snapshot_interval_s: Number | None = Field(None, description="snapshot.interval, seconds")
    snapshot_retention_s: Number | None = Field(None, description="snapshot.retention, seconds")
    levels_s: list[Number] | None = Field(None, description="compaction interval of levels 1, 2, ..., seconds")
    checkpoint_interval_s: Number | None = Field(None, description="checkpoint-interval, seconds")
    log_level: str | None = Field(None, description="logging.level (DEBUG logs the checkpoints)")
    log_type: str | None = Field(None, description="logging.type, text or json")
    metrics_addr: str | None = Field(None, description="litestream's Prometheus listener, 127.0.0.1:PORT")


class ReplicaChecksJson(Model):
    """--restore-every, --final-stop, --idle, --pitr-samples (soak.run.replica_options)."""

    restore_every_s: Number | None = Field(None, description="seconds between periodic restores; 0: none")
    final_stop: Literal["term", "kill"] | None = Field(None, description="how litestream is stopped at the end")
    idle_s: Number | None = Field(None, description="seconds nothing writes after the load; 0: no idle phase")
    pitr_samples: int | None = Field(None, description="point-in-time restores after the run; 0: none")
    corrupt_object: bool | None = Field(None, description="restore from a copy with one LTX object truncated")


class RunJson(Model):
    """run.json: written when the run directory is made, rewritten at the end with ``ended_at``."""

    schema_version: int | None = Field(None, description=f"always {SCHEMA_VERSION}")
    tool: str | None = Field(None, description="litestream-release-tools")
    started_at: Time | None = Field(None, description="when the soak started")
    ended_at: Time | None = Field(None, description="when it ended; null while it runs")
    params: Params | None = Field(None, description="the parameters")
    binaries: Binaries | None = Field(None, description="the executables and their versions")
    source: Source | None = Field(None, description="where the binaries came from")
    litestream_commit: str | None = Field(
        None, description="null when unknown (--bin without a commit, a release from the proxy)"
    )
    s3: S3Location | None = Field(None, description="the S3 replica; null for --replica file")
    config: Config | None = Field(None, description="litestream.yml's schedule")
    profile: dict[str, Any] | None = Field(
        None, description="--profile: name, upstream (the suite's name) and the load it set; null without one"
    )
    faults: dict[str, Any] | None = Field(None, description='the fault plan (README, "Soak under faults"), or null')
    faults_chain: dict[str, Any] | None = Field(None, description="the fault proxies that ran: versions, ports")
    notes: list[str] | None = Field(None, description="remarks the soak printed while setting up")
    command: list[str] | None = Field(None, description="the command line as typed (URL credentials masked)")
    replay_command: list[str] | None = Field(
        None, description="the soak.overnight command that replays this run: its flags, --fault-seed made explicit"
    )
    pid: int | None = Field(None, description="the soak's own process id: alive with no ended_at = in progress")
    host: str | None = Field(None, description="the machine it ran on (pid is only meaningful there)")
    platform: str | None = Field(None, description="operating system and architecture, for bug reports")
    replica_checks: ReplicaChecksJson | None = Field(None, description="the independent replica checks asked for")


# ----------------------------------------------------------------------------------------------- faults.log
class FaultEvent(Model):
    """One line of logs/faults.log, and one item of a metrics.jsonl ``faults`` list."""

    model_config = ConfigDict(frozen=True)

    t: Time = Field(description="when it happened")
    elapsed_s: Number | None = Field(None, description="seconds since the load started, like metrics.jsonl")
    kind: Kind = Field(description="what fault")
    event: Event = Field(description="a window's start or end, or an instant")
    detail: dict[str, Any] = Field(default_factory=dict, description="n (the fault's number), pid, status, ...")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# -------------------------------------------------------------------------------------------- metrics.jsonl
class LevelTick(Model):
    """One LTX level in the replica."""

    objects: int | None = Field(None, description="objects")
    bytes: int | None = Field(None, description="bytes")
    max_txid: int | None = Field(None, description="highest TXID the level holds")


class S3Tick(Model):
    """One listing of the replica."""

    objects: int | None = Field(None, description="objects under the prefix; null when the listing failed")
    bytes: int | None = Field(None, description="their bytes")
    requests: int | None = Field(None, description="HTTP requests the listing took")
    levels: dict[str, LevelTick] | None = Field(None, description="per LTX level (decimal key; 9 is snapshots)")
    error: str | None = Field(None, description="why the listing failed, when it did")


class TxidTick(Model):
    """Local and replicated position."""

    local: int | None = Field(None, description="TXID of the newest local LTX file")
    replica: int | None = Field(None, description="highest TXID in the replica's L0")
    lag: int | None = Field(None, description="local - replica")


class LogTick(Model):
    """Counts in the part of litestream.log written since the previous line."""

    uploads: int | None = Field(None, description="L0 uploads")
    compactions: dict[str, int] | None = Field(None, description="compactions per level")
    snapshots: int | None = Field(None, description="snapshots")
    checkpoints: int | None = Field(None, description="checkpoints (logged at DEBUG only)")
    errors: int | None = Field(None, description="ERROR lines")
    warnings: int | None = Field(None, description="WARN lines")


class ProcessTick(Model):
    """One child process."""

    alive: bool | None = Field(None, description="running")
    pid: int | None = Field(None, description="process id")
    rss_bytes: int | None = Field(None, description="resident memory (measured for litestream only)")
    cpu_percent: Number | None = Field(None, description="CPU since the previous line, % of one core (litestream only)")


class MetricsTick(Model):
    """One line of metrics.jsonl per monitor tick. Any number may be null when it was unknown."""

    schema_version: int | None = Field(None, description=f"always {SCHEMA_VERSION}")
    t: Time = Field(description="when the tick was measured")
    elapsed_s: Number | None = Field(None, description="seconds since the load started")
    db_bytes: int | None = Field(None, description="size of test.db")
    wal_bytes: int | None = Field(None, description="size of test.db-wal")
    wal_peak_bytes: int | None = Field(
        None, description="largest test.db-wal sampled (every second) since the previous tick; shape: wal_bounded"
    )
    s3: S3Tick | None = Field(None, description="the replica")
    txid: TxidTick | None = Field(None, description="replication position")
    log: LogTick | None = Field(None, description="litestream.log counts since the previous tick")
    litestream: ProcessTick | None = Field(None, description="litestream replicate")
    load: ProcessTick | None = Field(None, description="litestream-test load")
    rows: dict[str, int] | None = Field(None, description="rows per table of test.db")
    rows_total: int | None = Field(None, description="their sum")
    rows_error: str | None = Field(None, description="why the rows could not be counted, when they could not")
    faults: list[FaultEvent] | None = Field(None, description="fault events since the previous tick, as in faults.log")


# ---------------------------------------------------------------------------------------------- result.json
class Check(Model):
    """One check the soak made."""

    name: CheckName | None = Field(None, description="which check")
    passed: bool | None = Field(None, description="its outcome; null: made, but nothing to judge it on (no pass)")
    detail: str | None = Field(None, description="one sentence")
    value: Any = Field(None, description="the figure it judged (seconds, rows, exit code, ...)")


class TableCompare(Model):
    """One user table of the source and of the restore."""

    source_rows: int | None = Field(None, description="rows in test.db")
    restored_rows: int | None = Field(None, description="rows in restored.db")
    source_sha256: str | None = Field(None, description="sha256 of the table's rows in test.db")
    restored_sha256: str | None = Field(None, description="the same in restored.db")
    compared_upto_id: int | None = Field(
        None, description="--final-stop kill: the source side is its rows up to this id (the tail the kill cut off)"
    )


class CatchUp(Model):
    """The wait for the replica after the load stopped."""

    seconds: Number | None = Field(None, description="how long it took")
    local_txid: int | None = Field(None, description="local TXID at the end")
    replica_txid: int | None = Field(None, description="replica L0 TXID at the end")


class Crash(Model):
    """A child that exited on its own."""

    process: str | None = Field(None, description="litestream or litestream-test load")
    exit_code: int | None = Field(None, description="negative: killed by that signal")
    last_log_lines: list[str] | None = Field(None, description="the end of its log")


class NearestFault(Model):
    """The fault event closest in time to a range of rows (logs/faults.log)."""

    kind: str | None = Field(None, description="kill, restart, outage or http_error")
    event: str | None = Field(None, description="inject, start or end")
    n: int | None = Field(None, description="the fault's number (kill 3)")
    t: Time | None = Field(None, description="when it happened")
    delta_s: Number | None = Field(None, description="rows' write time minus the fault's: < 0 written before it")


class RowRange(Model):
    """Ids adjacent in id order that share one fate."""

    first_id: int | None = Field(None, description="first id of the range")
    last_id: int | None = Field(None, description="last id of the range")
    count: int | None = Field(None, description="rows in it")
    written_first: Time | None = Field(None, description="earliest write time of its rows (text_field/timestamp)")
    written_last: Time | None = Field(None, description="latest write time of its rows")
    nearest_fault: NearestFault | None = Field(None, description="null without fault events")
    explained: str | None = Field(None, description="ids 4658-4662 (5 rows), written 0.2 s before kill 3")


class LostRows(Model):
    """Source vs restore of one table, row by row (soak.run.lost_rows); lists keep the first 50 ranges."""

    table: str | None = Field(None, description="load_test")
    source_rows: int | None = Field(None, description="rows compared in the source")
    restored_rows: int | None = Field(None, description="rows compared in the restore")
    upto_id: int | None = Field(None, description="only ids up to this were compared; null: all")
    missing: list[RowRange] | None = Field(None, description="in the source, not in the restore")
    extra: list[RowRange] | None = Field(None, description="in the restore, not in the source")
    changed: list[RowRange] | None = Field(None, description="in both, with different content")
    missing_rows: int | None = Field(None, description="missing rows in all")
    missing_ranges: int | None = Field(None, description="missing ranges in all")
    extra_rows: int | None = Field(None, description="extra rows in all")
    extra_ranges: int | None = Field(None, description="extra ranges in all")
    changed_rows: int | None = Field(None, description="changed rows in all")
    changed_ranges: int | None = Field(None, description="changed ranges in all")
    summary: str | None = Field(None, description="one line: the first ranges of each kind, explained")
    error: str | None = Field(None, description="why the comparison stopped early (a damaged restore), or null")


class FinalKill(Model):
    """The SIGKILL that ended litestream (--final-stop kill)."""

    t: Time | None = Field(None, description="when it was sent")
    after_load_s: float | None = Field(None, description="seconds from the load's stop to the kill (right after it)")
    floor_id: int | None = Field(None, description="newest id committed one sync interval + slack before it")
    source_max_id: int | None = Field(None, description="newest id in the source at the kill")
    restored_max_id: int | None = Field(None, description="newest id in the restore")


class IdlePhase(Model):
    """--idle: nothing writes; litestream should settle (soak.run.idle)."""

    start: Time | None = Field(None, description="when the load had stopped")
    end: Time | None = Field(None, description="when the idle phase ended")
    judged_from: Time | None = Field(None, description="start + one sync interval: lines before are the last sync")
    uploads: int | None = Field(None, description="L0 'ltx file uploaded' lines after judged_from")
    checkpoints: int | None = Field(None, description="'checkpoint' lines after judged_from")
    lines: list[str] | None = Field(None, description="those lines, the first 20")


class PeriodicRestore(Model):
    """One line of replica-restores.jsonl: a restore of the replica during the load (soak.run.periodic_restore)."""

    n: int | None = Field(None, description="its number, from 1")
    t: Time | None = Field(None, description="when the restore started")
    restore_s: Number | None = Field(None, description="how long litestream restore took")
    exit_code: int | None = Field(None, description="litestream restore's exit code (-1: it did not finish)")
    floor_id: int | None = Field(None, description="source max id one sync interval + slack before t; must be held")
    floor_t: Time | None = Field(None, description="when the floor was read")
    floor_excused_by: str | None = Field(None, description="a fault next to the floor (kill 3): floor not judged")
    restore_excused_by: str | None = Field(
        None, description="the restore failed through the S3 fault proxies: this cycle is not judged"
    )
    integrity: str | None = Field(None, description="PRAGMA integrity_check of the restore")
    restored_max_id: int | None = Field(None, description="newest load_test id in the restore (M)")
    restored_rows: int | None = Field(None, description="load_test rows up to M in the restore")
    source_rows: int | None = Field(None, description="load_test rows up to M in the source")
    digests_equal: bool | None = Field(None, description="sha256 of load_test up to M equal on both sides")
    lost_rows: LostRows | None = Field(None, description="rows up to M that differ, when they differ")
    age_s: Number | None = Field(None, description="restore end minus the commit time of row M: the replica's age")
    ok: bool | None = Field(None, description="integrity ok, a clean prefix, M >= floor, never backwards")
    problem: str | None = Field(None, description="what failed, one sentence")
    error: str | None = Field(None, description="why the restore could not be compared")


class ShapeCriterion(Model):
    """One shape criterion as soak.analyze.shape judged it at the end of the run."""

    name: str | None = Field(None, description="l0_size, snapshot_cadence, compaction_cadence, wal_bounded, ...")
    status: str | None = Field(None, description='"pass", "fail" or "na" (no data: never a pass)')
    value: Any = Field(None, description="the figure judged")
    threshold: Any = Field(None, description="its bound, derived from litestream.yml and the load")
    detail: str | None = Field(None, description="one sentence")


class ResultJson(Model):
    """result.json: written once at the end, also on failure and interrupt."""

    schema_version: int | None = Field(None, description=f"always {SCHEMA_VERSION}")
    status: Status | None = Field(
        None,
        description="pass only when every check ran and passed; incomplete: none failed, but a required one is "
        "missing or was not judged (exit 3)",
    )
    started_at: Time | None = Field(None, description="when the soak started")
    ended_at: Time | None = Field(None, description="when it ended")
    phase: str | None = Field(
        None,
        description="the step of the first failed check, else the step the run ended in (shape when it ran to the end)",
    )
    reason: str | None = Field(None, description="one sentence when not pass")
    checks: list[Check] | None = Field(None, description="the checks, in the order made")
    rows_written: int | None = Field(None, description="rows of load_test in the source after the load stopped")
    tables: dict[str, TableCompare] | None = Field(None, description="per user table")
    catch_up: CatchUp | None = Field(None, description="null when the run ended before it")
    crash: Crash | None = Field(None, description="null unless a child crashed")
    lost_rows: LostRows | None = Field(None, description="load_test row by row when the restore differs, else null")
    final_stop: Literal["term", "kill"] | None = Field(None, description="SIGTERM (catch-up first) or SIGKILL")
    kill: FinalKill | None = Field(None, description="with --final-stop kill: the kill and what the restore owed")
    idle: IdlePhase | None = Field(None, description="with --idle: what litestream did while nothing wrote")
    shape: list[ShapeCriterion] | None = Field(
        None, description="the replica's shape criteria (README criteria table); na ones are not checks"
    )


# ---------------------------------------------------------------------------------------------- repeat.json
class RepeatRun(Model):
    """One run of the repeat."""

    n: int | None = Field(None, description="its number, from 1")
    run_dir: str | None = Field(None, description="its run directory (run-<n>/)")
    fault_seed: int | None = Field(None, description="--fault-seed + n - 1; null without fault options")
    status: str | None = Field(
        None,
        description="result.json status (pass, fail, incomplete, interrupted); error: the run stopped on an error; "
        "not_run: the repeat stopped before it",
    )
    exit_code: int | None = Field(None, description="what soak.overnight would have exited with for this run")
    reason: str | None = Field(None, description="result.json reason, one sentence")
    failed_checks: list[str] | None = Field(None, description="checks of result.json that did not pass")
    lost_rows: str | None = Field(None, description="result.json lost_rows.summary, when the restore differed")


class RepeatCheck(Model):
    """One check over every run."""

    passed: int | None = Field(None, description="runs in which it passed")
    failed: int | None = Field(None, description="runs in which it failed")
    not_judged: int | None = Field(None, description="runs in which it was made but could not be judged")
    not_run: int | None = Field(None, description="runs that ended before it (or never ran)")
    failed_runs: list[int] | None = Field(None, description="the numbers of the runs where it failed")


class RepeatJson(Model):
    """repeat.json: rewritten after every run of ``--repeat N``, so an interrupted repeat keeps what it saw."""

    schema_version: int | None = Field(None, description=f"always {SCHEMA_VERSION}")
    status: Literal["pass", "fail", "incomplete", "interrupted", "running"] | None = Field(
        None,
        description="pass only when all N runs passed; fail when any failed; incomplete when none "
        "failed but some could not be judged",
    )
    repeat: int | None = Field(None, description="N, the runs asked for")
    base_fault_seed: int | None = Field(None, description="--fault-seed (drawn when not given); null without faults")
    started_at: Time | None = Field(None, description="when the first run started")
    ended_at: Time | None = Field(None, description="when the repeat ended; null while it runs")
    passed: int | None = Field(None, description="runs that passed")
    failed: int | None = Field(None, description="runs that failed (or stopped on an error)")
    runs: list[RepeatRun] | None = Field(None, description="every run, in order, also those not run")
    checks: dict[str, RepeatCheck] | None = Field(None, description="per check name: passes and failures over the runs")
    summary: str | None = Field(None, description="one line: failed 1 of 3 ...")


# -------------------------------------------------------------------------------------------------- reading
M = TypeVar("M", bound=BaseModel)


def read_tolerant(model: type[M], data: Any, where: str) -> tuple[M | None, list[str]]:
    """``data`` as ``model``, without the values whose type is wrong (one warning each).

    A wrong value inside a list drops the whole list (a list with a hole would mean something else);
    None when even that leaves no valid object (a required field is missing, or ``data`` is no object).
    """
    if not isinstance(data, dict):
        return None, [f"{where}: not a JSON object; ignored"]
    try:
        return model.model_validate(data), []
    except ValidationError:
        data = copy.deepcopy(data)  # about to drop values: not from the caller's object
    warnings: list[str] = []
    while True:  # one value per round, validated afresh: each round drops one, so this ends
        try:
            return model.model_validate(data), warnings
        except ValidationError as exc:
            error = exc.errors()[0]
            found = _drop(data, error["loc"])
            if found is None:
                return None, warnings
            parents, key, value = found
            place = ".".join([where, *parents])
            if error["type"].endswith("_type"):
                warnings.append(f"{place}: {key!r} has an unexpected type ({_kind(value)}); ignored")
            else:
                warnings.append(f"{place}: {key!r} is not valid ({error['msg']}); ignored")


def _drop(data: dict[str, Any], loc: tuple[int | str, ...]) -> tuple[list[str], str, Any] | None:
    """Remove the value ``loc`` points at (in a list: the whole list); (its parents' keys, its key, it).

    None when there is nothing to remove: the error is about a key that is missing.
    """
    node: Any = data
    path: list[str] = []
    for part in loc:
        if not isinstance(node, dict) or not isinstance(part, str):
            break  # a list index, or a union member's tag: drop what we reached
        if part not in node:
            if len(path) + 1 == len(loc):
                return None  # a required key is absent
            break
        path.append(part)
        node = node[part]
    if not path:
        return None
    parent: Any = data
    for key in path[:-1]:
        parent = parent[key]
    return path[:-1], path[-1], parent.pop(path[-1])


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), "a number"
    )


def summarize(warnings: list[str]) -> list[str]:
    """One warning per distinct problem of a .jsonl file, with the number of lines it hit."""
    counts = Counter(warnings)
    return [text if n == 1 else f"{text} ({n} lines)" for text, n in counts.items()]


# -------------------------------------------------------------------------------------------------- writing
def written_problems(model: type[BaseModel], data: Any, where: str) -> list[str]:
    """What is wrong with what a writer wrote: a wrong type, or a key the schema does not name.

    The soak's tests run this over every file a run leaves, so a writer and the schema cannot drift apart.
    """
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        return [f"{where}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    return [f"{where}: {key} is not in soak/rundir_schema.py" for key in _extras(parsed, [])]


def _extras(value: Any, path: list[str]) -> list[str]:
    found: list[str] = []
    if isinstance(value, BaseModel):
        found += [".".join([*path, key]) for key in value.model_extra or {}]
        for name in type(value).model_fields:
            found += _extras(getattr(value, name), [*path, name])
    elif isinstance(value, dict):
        for key, item in value.items():
            found += _extras(item, [*path, str(key)])
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _extras(item, [*path, f"[{i}]"])
    return found
