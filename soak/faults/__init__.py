"""Deliberate faults during a soak: the plan from the flags, kills of litestream, Toxiproxy (latency, resets,
outages) and mitmdump (S3 error answers) in front of S3, and logs/faults.log, their event log."""
