"""The release gate (``nox -s release_gate``): gates.py (the one gate list and each gate's body), options.py (what
the maintainer asks for after ``--``), ledger.py (each gate's record and the facts they pass on, saved as
gate-report.json/.md), runner.py (one gate as its nox session runs it), preflight.py and go_test.py."""
