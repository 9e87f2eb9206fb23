"""``python -m rag`` runs the CLI."""

from rag.cli.main import main

main()
