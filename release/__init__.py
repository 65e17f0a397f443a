"""Go builds, release archives, checksums, the Homebrew formula and the tap."""
