"""Readers of Litestream's log lines shared by the monitor and the analyzer: one slog line's fields (line),
logs of any size in blocks (blocks), what an error is about (error_classes), the monitor's live counter
(live_counts)."""
