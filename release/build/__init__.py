"""Building Litestream: the checkout and the Go toolchain, ``invoke build`` (dev binaries), ``invoke release.build``
(the pinned GoReleaser on the checkout's own .goreleaser.yml, and the checks around it) and ``invoke
release.verify`` (a published release against its tag)."""
