"""Tests of invoke build and invoke release.build on the tiny Go fixture module (and real Litestream when given)."""
