"""Load every backlex handler module, as the app does at start-up, outside a server.

Reactions register on import (``_events.subscribe``: notifications, webhooks; ``_usage.after_record``:
alarms), so a CLI command that records events or usage must load them first.
"""

from __future__ import annotations

import importlib

from generated.backlex.operations import OPERATIONS


def load() -> None:
    for module in sorted({op.handler.rpartition(".")[0] for op in OPERATIONS}):
        importlib.import_module(module)
