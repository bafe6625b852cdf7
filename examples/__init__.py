"""Sample claims used by the README quick start."""
