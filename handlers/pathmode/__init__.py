"""Pathmode API handlers, one module per tag."""
