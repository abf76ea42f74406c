"""`python -m services` is the `permis` command."""

from services.cli import main

main()
