"""Pure lookups connexion repeats on every request, remembered (installed by ``create_app``).

connexion 3.3 rebuilds, per request, answers that depend only on the document:
- ``OpenAPIOperation.body_definition`` (seven calls a request with a body): it sorts the
  operation's media types, glob-matches the content type, and returns the document's own
  media-type object (to which it attaches the components, the same way each time);
- ``pythonic`` / ``sanitized``, which turn each parameter name into a Python name with
  ``inflection`` and three regular expressions.
Together about a seventh of the event loop's time on ``POST /api/v1/intents``. The
remembered versions return the very objects and strings connexion's own return
(``tests/speed/test_connexion_tuning.py``).
"""

from __future__ import annotations

import functools

from connexion.decorators import parameter
from connexion.operations import openapi

_UNSET = object()


def install() -> None:
    operation_class = openapi.OpenAPIOperation
    if getattr(operation_class.body_definition, "remembered", False):
        return
    computed = operation_class.body_definition

    @functools.wraps(computed)
    def body_definition(self, content_type=None):
        remembered = self.__dict__.setdefault("_remembered_body_definitions", {})
        found = remembered.get(content_type, _UNSET)
        if found is _UNSET:
            found = remembered[content_type] = computed(self, content_type)
        return found

    body_definition.remembered = True  # type: ignore[attr-defined]  # marks the patch as applied
    operation_class.body_definition = body_definition
    # the decorators pick the function by module-level name when they are built
    parameter.pythonic = functools.lru_cache(maxsize=4096)(parameter.pythonic)
    parameter.sanitized = functools.lru_cache(maxsize=4096)(parameter.sanitized)
