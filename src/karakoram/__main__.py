"""`python -m karakoram` is the `karakoram` command."""

from karakoram.entrypoints.cli.main import main

main()
