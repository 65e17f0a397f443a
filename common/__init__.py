"""Pieces every task shares: one way to fail, one way to read settings and units."""
