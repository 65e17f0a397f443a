"""Tests of release/: build/, homebrew/ and gate/, each against real git, Go, HTTP and S3 where they touch them."""
