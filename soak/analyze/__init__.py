"""Judging a soak run directory (``invoke soak.analyze`` / ``soak.compare``): its inputs, whether the run finished
(run_state), one pass over litestream.log, the report sections, fault windows, lost rows (lost_rows_section), the
pass criteria and the fail-closed verdict (criteria); render/ writes it for people."""
