"""`python -m flows.cli`: the same as the `newsarchive` command."""

from flows.cli import main

main()
