"""spec-server: both OpenAPI documents served by connexion over a Peewee store."""

import warnings

# connexion imports starlette's test client at import time; its httpx notice is not ours
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
