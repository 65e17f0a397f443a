"""Tests of invoke build, release.build (the real, pinned GoReleaser) and release.verify on the tiny Go fixture
module (and real Litestream when given)."""
