"""Building Litestream: the checkout and the Go toolchain, ``invoke build`` (dev binaries) and ``invoke
release.build`` (the release matrix, archives, checksums.txt)."""
