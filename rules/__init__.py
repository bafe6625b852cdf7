"""Shipped rule packs (YAML data, read with importlib.resources)."""
