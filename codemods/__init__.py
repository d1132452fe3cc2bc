"""Pure libcst transforms and ast analyses: text in, text out, no git, no I/O."""
