"""Tools for rule authors and compliance: test, lint, fmt, doc, diff, impact, decision log."""
