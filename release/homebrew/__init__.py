"""The Homebrew formula and the tap: checksums from the published release (a local build only as a preview),
rendering the formula from templates/, checking every archive it names and publishing it with git
(``release.formula``, ``release.tap``, ``release.tap-setup``)."""
