"""Who is calling and which operation runs, for the duration of one request."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any

from spec_server.operations import Operation


@dataclass
class RequestState:
    api: str
    operation: Operation
    caller: Any  # the API's caller object, built by its security step
    extras: dict


_state: contextvars.ContextVar[RequestState | None] = contextvars.ContextVar("request_state", default=None)


def current() -> RequestState:
    state = _state.get()
    if state is None:
        raise RuntimeError("no request in progress")
    return state


def caller() -> Any:
    return current().caller


def enter(state: RequestState):
    return _state.set(state)


def leave(token) -> None:
    _state.reset(token)
