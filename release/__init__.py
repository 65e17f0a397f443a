"""Release jobs: build/ (Go builds, release archives, checksums), homebrew/ (formula and tap), gate/ (the
pre-tag pipeline that runs everything in order); github.py parses GitHub repository URLs for both."""
