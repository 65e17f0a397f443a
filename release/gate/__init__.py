"""The release gate (``nox -s release_gate``): options, the ledger and its reports, preflight, Litestream's own
``go test``, and the gates that run the other tasks and judge their JSON evidence."""
