"""`python -m app.cli`: the `scrm` command."""
from app.cli.root import main

main()
