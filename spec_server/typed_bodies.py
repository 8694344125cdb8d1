"""Bodies typed with ``generated/<api>/models.py`` that carry keys their schema leaves open.

For mypy a ``TypedDict`` is closed (PEP 728's ``extra_items`` is not supported yet), while a
JSON Schema object allows keys it does not declare unless it says ``additionalProperties:
false``. ``with_undeclared`` adds such keys to a body built as its type: the declared keys stay
checked where they are written, the others are what the schema leaves open.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

Body = TypeVar("Body", bound=Mapping[str, Any])


def with_undeclared(body: Body, **undeclared: Any) -> Body:
    return cast(Body, {**body, **undeclared})
