"""Parsers for the official file layouts (CMS NCCI PTP, MUE, add-on codes, MCE lists) and payer csv tables."""
