"""The semantic change report between two OpenAPI documents (oasdiff's idea, in Python).

- ``rules``: every id with its level, message and why (the whole classification, one table)
- ``model``: ``Change`` and the findings collector
"""

from codegen.diff.model import Change
from codegen.diff.rules import LEVELS

__all__ = ["LEVELS", "Change"]
