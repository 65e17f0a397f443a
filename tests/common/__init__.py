"""Tests of common/: settings precedence, the step runner, units, versions, timestamps, processes."""
