"""The release gate (``nox -s release_gate``): gates.py (the one gate list and each gate's body), options.py (what
the maintainer asks for after ``--``), ledger.py (each gate's record and the facts they pass on, saved as
gate-report.json/.md), runner.py (one gate as its nox session runs it), preflight.py, go_test.py,
upstream_suites.py (Litestream's LTX behaviour suites in a scratch copy of the checkout) and suite_events.py (their
``go test -json`` read into profiles and assertion lines)."""
