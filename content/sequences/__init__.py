"""Shipped content sequences (YAML is the source; CSV and Excel are exported copies)."""
