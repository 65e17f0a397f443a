"""What every task uses: one way to fail, settings and their one precedence, the step runner (Step, Skip), typed task
flags, units, versions, the process supervisor and log tails, pinned tools, the terminal."""
