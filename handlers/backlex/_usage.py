"""The usage ledger: the one way usage enters (a data plane would call ``record_usage``).

``after_record`` hooks run after each record inside the same transaction (alarms subscribe).
"""

from __future__ import annotations

from collections.abc import Callable

after_record: list[Callable] = []
