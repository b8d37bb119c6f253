"""`python -m lightcode` = the `lightcode` command."""

from lightcode.cli import main

main()
