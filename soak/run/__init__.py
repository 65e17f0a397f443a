"""Running a soak (``invoke soak.overnight``): parameters, binaries, the S3 target, litestream.yml, the child
processes, the monitor, the restore and the comparison of source and restore (lost_rows: which ids, when, next to
which fault), the command it ran (command), and ``--repeat N`` (repeat)."""
