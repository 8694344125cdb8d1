"""The connexion floor: our app's whole configuration with constant answers behind it.

The same ``create_app`` (both documents, our middleware, connexion's routing, security and
request validation with our validators, parameter conversion, the jsonifier), but every
security hook answers at once with an empty caller and every handler returns the bytes our
server answered (``BENCH_BODIES``, as for the ceiling) as a pre-serialized fragment: no
thread hop, no database, no handler. So the benchmark splits an operation's time into the
ceiling (Starlette alone), the floor (what connexion costs with our configuration), and the
rest (our security step, handler and store).
Run: ``uvicorn --factory bench.floor:create`` with ``BENCH_BODIES`` and ``DATABASE_URL`` set
(the tables are created as for our server; nothing reads them).
"""

from __future__ import annotations

import json
import os

import orjson
from connexion.resolver import Resolver

from spec_server import pipeline
from spec_server.asgi import settle_garbage_collector


async def constant_security(_credential, request=None, required_scopes=None):
    """Every scheme's hook: the caller the real step would have found, without the lookup."""
    return {"sub": None, "caller": None, "scope": list(required_scopes or ())}


def constant_resolver(bodies: dict):
    def resolver(api, *, asynchronous: bool = False) -> Resolver:
        def resolve(operation_id: str):
            operation = api.operations[operation_id]
            handler = pipeline.load_handler(operation.handler)  # its signature: the same parameters
            status, body = bodies.get(f"{operation.method.upper()} {operation.path}", (501, {}))
            answer = (orjson.Fragment(orjson.dumps(body)), status)

            async def constant(*_args, **_kwargs):
                return answer

            return pipeline.with_signature(constant, pipeline.inspect.signature(handler))

        return Resolver(function_resolver=resolve)

    return resolver


def create():
    import handlers.backlex._api as backlex_api
    import handlers.pathmode._api as pathmode_api
    from spec_server import app as app_module

    with open(os.environ["BENCH_BODIES"]) as handle:
        bodies = json.load(handle)
    # create_app names the hooks by module path and takes the resolver by name: swap them first
    pathmode_api.check_credentials = backlex_api.check_credentials = constant_security
    app_module.resolver = constant_resolver(bodies)
    app = app_module.create_app()
    settle_garbage_collector()  # as spec_server.asgi does for our server
    return app


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.floor --port N``: served as our server is (uvicorn with the same
    bounded connection options, spec_server.workers)."""
    import argparse

    import uvicorn

    from spec_server import workers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run("bench.floor:create", factory=True, host="127.0.0.1", port=args.port, log_level="warning",
                access_log=False, **workers.bounded_options())


if __name__ == "__main__":
    main()
