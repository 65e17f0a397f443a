"""What every task uses: one way to fail, settings and their precedence, the step runner, units, versions,
child processes, pinned tools, the terminal."""
