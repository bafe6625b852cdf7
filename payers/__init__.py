"""Shipped payer profiles (YAML data)."""
