"""Hand-written behaviour: ``handlers/<api>/<tag>.py``, one module per spec tag."""
