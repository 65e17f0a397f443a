"""Running a soak (``invoke soak.overnight``): parameters, binaries, the S3 target, litestream.yml, the child
processes, the monitor, the restore and the comparison of source and restore."""
