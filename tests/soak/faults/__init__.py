"""Tests of the fault layer: the plan, kills, Toxiproxy, the HTTP error proxy, and real Litestream under faults."""
