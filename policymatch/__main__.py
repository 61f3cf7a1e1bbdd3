"""``python -m policymatch`` runs the CLI."""

from .cli import main

main()
