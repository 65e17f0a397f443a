"""Tests of the log readers shared by the monitor and the analyzer, on real Litestream lines."""
