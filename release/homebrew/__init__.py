"""The Homebrew formula and the tap: where checksums come from, rendering the formula from templates/,
publishing it with git (``release.formula``, ``release.tap``, ``release.tap-setup``)."""
