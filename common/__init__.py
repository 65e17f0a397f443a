"""What every task uses: one way to fail, settings and their one precedence, the step runner (Step, Skip), Invoke
task arguments (typed flags, optional positionals), units, the one time format, versions, the process supervisor
and log tails, pinned tools, the terminal."""
