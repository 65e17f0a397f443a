"""The S3 overnight soak: run/ runs one, faults/ breaks it on purpose, logs/ reads what Litestream prints,
analyze/ judges a finished run directory. rundir.py describes the run directory they share (its paths),
rundir_schema.py its JSON, and rundir_docs.py writes docs/rundir.md from both."""
