"""Click commands, git, files, config and output."""
