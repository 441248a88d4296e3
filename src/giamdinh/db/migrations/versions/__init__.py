"""Migration scripts, one linear history for every module's tables."""
