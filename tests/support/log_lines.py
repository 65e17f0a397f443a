"""Single Litestream v0.5.16 log lines (DEBUG, text handler), as the monitor and analyzer tests feed them."""

STARTUP = 'time=2026-12-01T06:49:56.725Z level=INFO msg=litestream version="(development build)" level=debug'
UPLOAD = (
    'time=2026-12-01T06:49:58.751Z level=INFO msg="ltx file uploaded" system=store db=test.db replica=s3 '
    "level=0 minTXID=0000000000000002 maxTXID=0000000000000002 size=803"
)
COMPACT_L1 = (
    'time=2026-12-01T06:50:00.155Z level=INFO msg="compaction complete" system=store db=test.db level=1 '
    "txid.min=0000000000000001 txid.max=0000000000000003 size=2235811"
)
COMPACT_L2 = COMPACT_L1.replace("level=1 ", "level=2 ")
SNAPSHOT = 'time=2026-12-01T06:50:00.152Z level=INFO msg="snapshot complete" system=store db=test.db txid=03 size=22'
CHECKPOINT = (
    "time=2026-12-01T06:50:17.736Z level=DEBUG msg=checkpoint system=store db=test.db mode=PASSIVE result=0,1,1"
)
ERROR = 'time=2026-12-01T06:49:43.605Z level=ERROR msg="sync error" system=store db=test.db error="NoSuchBucket"'
WARN = 'time=2026-12-01T06:49:43.605Z level=WARN msg="shutdown sync failed, retrying" error="timeout"'
DEBUG_WITH_ERROR_ATTR = 'time=2026-12-01T06:49:43.605Z level=DEBUG msg="s3 request" error="ERROR level=ERROR"'
