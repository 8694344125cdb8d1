"""backlex operator commands (``spec-server <command>``): each module defines ``register(subparsers)``."""
