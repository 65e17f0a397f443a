"""What every task uses: one way to fail, settings and their precedence, the step runner, units, the one time
format (timestamps), versions, child processes, pinned tools, the terminal, Invoke task arguments."""
