"""backlex Cloud API handlers, one module per tag."""
