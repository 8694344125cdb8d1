"""``spec-server seed``: create principals and tenants from a JSON description.

The file has one part per API (``{"<api>": {...}}``), each handed to that API's own seed
(``ApiDefinition.seed``); the output has the same parts. Shapes are documented in the README;
secrets (session tokens, API keys) appear only in the output, the store keeps their digests.
"""

from __future__ import annotations

from spec_server import apis, credentials
from spec_server.db import write_transaction

SESSION_DAYS = 30


def session_token(prefix: str) -> str:
    return credentials.mint(prefix, 24)


def seed(data: dict) -> dict:
    served = {api.name: api.seed for api in apis.discover() if api.seed is not None}
    unknown = sorted(set(data) - set(served))
    if unknown:
        raise ValueError(f"the seed names {', '.join(unknown)}, which this server does not serve "
                         f"(it serves {', '.join(sorted(served))})")
    with write_transaction():
        return {name: seeder(data.get(name, {})) for name, seeder in sorted(served.items())}
