"""The semantic change report between two OpenAPI documents (oasdiff's idea, in Python).

Every ``$ref`` is resolved, so a change inside a shared component is reported at each operation
that reaches it; each finding carries an id, a level (breaking / non-breaking / info), the
operation, the precise location and old → new. The modules:

- ``rules``: every id with its level, message and why (the whole classification, one table)
- ``model``: ``Change`` and the findings collector
- ``refs``, ``shapes``: ``$ref`` resolution; one meaning for 3.0 and 3.1 spellings of a schema
- ``schemas``: schema comparison with a direction (request accepts less / response promises less)
- ``operations``: paths, operations, parameters, bodies, responses
- ``security``, ``extensions``: security requirements and schemes; ``x-*`` rules
- ``document``: ``compare()``; ``render``: text, json, markdown; ``cli``: ``spec-server diff``
"""

from codegen.diff.cli import DocumentError, load_document, main
from codegen.diff.document import compare
from codegen.diff.model import Change
from codegen.diff.render import render
from codegen.diff.rules import LEVELS

__all__ = ["LEVELS", "Change", "DocumentError", "compare", "load_document", "main", "render"]
