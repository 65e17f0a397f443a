"""Tests of the release gate: nox sessions, ledger, preflight, go_test, the build and formula gates, workflows."""
