"""`python -m karakoram` is the `karakoram` command."""

from karakoram.entrypoints.cli import main

main()
