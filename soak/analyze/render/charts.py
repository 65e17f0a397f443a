"""Time-series charts of a run as inline PNGs (matplotlib, Agg backend, no display needed).

Every chart shows error times as red ticks and fault windows as shaded spans (kills and outages full
height; faults that last the whole load, such as latency, as a thin strip at the bottom so they do not
hide the others), so cause and effect line up across charts. A chart without data still renders,
saying what is missing.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from soak.analyze.fault_windows import WHOLE_RUN_EXPLAINS

FAULT_COLORS = {
    "kill": "tab:purple",
    "outage": "tab:orange",
    "latency": "tab:gray",
    "reset": "tab:brown",
    "http_error": "tab:pink",
}
Points = list[tuple[float, float]]
MIB = 1024 * 1024


def _span(charts: dict[str, Any]) -> tuple[float, float]:
    """(first, last) time over every series, so all charts share one x axis."""
    series = [pts for key, pts in charts.items() if key not in ("levels", "errors", "faults") and pts]
    series += [pts for pts in (charts.get("levels") or {}).values() if pts]
    times = [pts[0][0] for pts in series] + [pts[-1][0] for pts in series]
    times += [t for f in charts.get("faults") or [] for t in f[:2]] + list(charts.get("errors") or [])
    return (min(times), max(times)) if times else (0.0, 60.0)


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _decorate(ax: Any, charts: dict[str, Any], t0: float) -> None:
    first, last = _span(charts)
    ax.set_xlim((first - t0) / 60, max((last - t0) / 60, 1.0))
    for start, end, kind in charts.get("faults") or []:
        strip = {"ymax": 0.04, "alpha": 0.5} if kind in WHOLE_RUN_EXPLAINS else {"alpha": 0.25}
        color = FAULT_COLORS.get(kind, "tab:gray")
        left, right = (start - t0) / 60, max(end, start + 1) / 60 - t0 / 60
        ax.axvspan(left, right, color=color, label=f"fault: {kind}", **strip)
    errors = charts.get("errors") or []
    for i, t in enumerate(errors):
        ax.axvline((t - t0) / 60, color="red", alpha=0.5, linewidth=0.8, label="ERROR line" if i == 0 else None)
    ax.set_xlabel("minutes since start")
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=False))
    if unique:
        ax.legend(unique.values(), unique.keys(), fontsize=8, loc="upper left")


def _line(ax: Any, pts: Points, t0: float, label: str, scale: float = 1.0, **kw: Any) -> bool:
    if not pts:
        return False
    ax.plot([(t - t0) / 60 for t, _ in pts], [v / scale for _, v in pts], label=label, **kw)
    return True


def _figure(title: str, ylabel: str) -> tuple[Any, Any]:
    fig, ax = plt.subplots(figsize=(11, 3.2))
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    return fig, ax


def _no_data(ax: Any, why: str) -> None:
    ax.text(0.5, 0.5, f"no data: {why}", transform=ax.transAxes, ha="center", va="center", color="gray")


def render_charts(charts: dict[str, Any]) -> list[tuple[str, str]]:
    """[(title, base64 PNG)] for: sizes, S3 objects per level, write rate, lag, RSS/CPU, uploads+errors."""
    t0 = _span(charts)[0]
    out: list[tuple[str, str]] = []

    fig, ax = _figure("Database and WAL size", "MiB")
    drawn = _line(ax, charts.get("db_bytes") or [], t0, "database", MIB)
    drawn |= _line(ax, charts.get("wal_bytes") or [], t0, "WAL", MIB)
    if not drawn:
        _no_data(ax, "metrics.jsonl db_bytes/wal_bytes")
    _decorate(ax, charts, t0)
    out.append(("Database and WAL size", _png(fig)))

    fig, ax = _figure("S3 objects per LTX level", "objects")
    drawn = False
    for level, pts in (charts.get("levels") or {}).items():
        drawn |= _line(ax, pts, t0, "snapshots (L9)" if level == "9" else f"L{level}")
    if not drawn:
        _no_data(ax, "metrics.jsonl s3.levels")
    _decorate(ax, charts, t0)
    out.append(("S3 objects per level", _png(fig)))

    fig, ax = _figure("Write rate", "rows/s")
    drawn = _line(ax, charts.get("write_rate") or [], t0, "rows/s (metrics rows_total)", color="green", marker=".")
    drawn |= _line(ax, charts.get("load_write_rate") or [], t0, "writes/s (load.log, 5 s)", color="olive", alpha=0.7)
    if not drawn:
        _no_data(ax, "metrics.jsonl rows_total or load.log statistics")
    _decorate(ax, charts, t0)
    out.append(("Write rate", _png(fig)))

    fig, ax = _figure("Replication lag", "TXIDs behind")
    drawn = _line(ax, charts.get("lag") or [], t0, "local - replica TXID (metrics)", color="purple", marker=".")
    drawn |= _line(
        ax, charts.get("log_lag") or [], t0, "max per minute ('replica sync' lines)", color="gray", alpha=0.7
    )
    if not drawn:
        _no_data(ax, "metrics.jsonl txid.lag or 'replica sync' lines")
    _decorate(ax, charts, t0)
    out.append(("Replication lag", _png(fig)))

    fig, ax = _figure("Litestream RSS and CPU", "RSS MiB")
    drawn = _line(ax, charts.get("rss_bytes") or [], t0, "RSS", MIB, color="tab:blue")
    cpu = charts.get("cpu_percent") or []
    if cpu:
        ax2 = ax.twinx()
        ax2.plot([(t - t0) / 60 for t, _ in cpu], [v for _, v in cpu], color="tab:gray", alpha=0.7, label="CPU %")
        ax2.set_ylabel("CPU %")
    if not drawn:
        _no_data(ax, "metrics.jsonl litestream.rss_bytes")
    _decorate(ax, charts, t0)
    out.append(("Litestream RSS and CPU", _png(fig)))

    fig, ax = _figure("L0 uploads per minute and ERROR lines", "uploads/min")
    pts = charts.get("uploads_per_min") or []
    if pts:
        ax.bar([(t - t0) / 60 for t, _ in pts], [v for _, v in pts], width=0.8, align="edge", label="L0 uploads")
    elif not charts.get("errors"):
        _no_data(ax, "no 'ltx file uploaded' lines in litestream.log")
    _decorate(ax, charts, t0)
    out.append(("Uploads and errors", _png(fig)))

    fig, ax = _figure("Replica age at each periodic restore", "seconds")
    if not _line(ax, charts.get("replica_age") or [], t0, "restore time - commit time of its newest row", marker="o"):
        _no_data(ax, "no periodic restores (--restore-every, replica-restores.jsonl)")
    _decorate(ax, charts, t0)
    out.append(("Replica age", _png(fig)))
    return out
