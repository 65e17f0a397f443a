"""Judging a soak run directory (``invoke soak.analyze`` / ``soak.compare``): its inputs, one pass over
litestream.log, the report sections, fault windows, the pass criteria; render/ writes it for people."""
