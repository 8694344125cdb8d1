"""The semantic change report between two OpenAPI documents (oasdiff's idea, in Python).

- ``rules``: every id with its level, message and why (the whole classification, one table)
- ``model``: ``Change`` and the findings collector
- ``refs``, ``shapes``: ``$ref`` resolution; one meaning for 3.0 and 3.1 spellings of a schema
- ``schemas``: schema comparison with a direction (request accepts less / response promises less)
- ``extensions``: ``x-*`` rules (x-scope, x-auth, x-rateLimit; any other is info)
"""

from codegen.diff.model import Change
from codegen.diff.rules import LEVELS

__all__ = ["LEVELS", "Change"]
