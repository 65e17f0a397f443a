"""Tests of the soak: its run directory, running one (run/), faults (faults/), log readers (logs/), analysis
(analyze/)."""
