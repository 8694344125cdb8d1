"""Runtime settings, read once from the environment (every worker reads the same)."""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field


def _parse_limits(text: str) -> dict[str, tuple[int, int]]:
    """``general=5/3600,intents=3/60``; ``*=N/S`` sets every bucket not named"""
    limits = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = item.partition("=")
        count, _, window = value.partition("/")
        limits[name.strip()] = (int(count), int(window or 3600))
    return limits


def _parse_plan_limits(text: str) -> defaultdict[str, dict[str, int | None]]:
    """``free.intents=3,pro.api_keys=5`` (``none`` or empty: unlimited)"""
    plans: defaultdict[str, dict[str, int | None]] = defaultdict(dict)
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, _, value = item.partition("=")
        plan, _, metric = key.strip().partition(".")
        plans.setdefault(plan, {})[metric] = None if value.strip() in ("", "none") else int(value)
    return plans


@dataclass
class Settings:
    database_url: str | None = None
    flavour: str = "async"  # "async" (AsyncApp) or "flask" (FlaskApp)
    validate_responses: bool = False
    public_base_url: str = "http://127.0.0.1:8000"
    # overrides of the limits an API states (rate-limit buckets, plan quotas): the numbers
    # themselves come from each API (its document's x-rateLimit, its own plan table)
    rate_limits: dict[str, tuple[int, int]] = field(default_factory=dict)  # bucket -> (requests, window s)
    plan_limits: defaultdict[str, dict[str, int | None]] = field(default_factory=lambda: defaultdict(dict))
    faults: frozenset[str] = frozenset()  # planted faults, to prove the conformance suite fails
    apis: str = "all"  # all, or the name of the one API to serve
    # request bounds (README "Hostile input"): a body over max_body_bytes is 413, unread; a
    # body not received within body_read_timeout seconds is 408
    max_body_bytes: int = 1024 * 1024
    body_read_timeout: float = 30.0
    # the request head (slow_clients.py): complete within header_read_timeout seconds, at
    # most max_header_bytes; an idle kept-alive connection closes after keep_alive_timeout
    header_read_timeout: float = 10.0
    max_header_bytes: int = 64 * 1024
    keep_alive_timeout: float = 5.0

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        env = os.environ
        settings = cls(
            database_url=env.get("DATABASE_URL"),
            flavour=env.get("SPEC_SERVER_FLAVOUR", "async"),
            validate_responses=env.get("VALIDATE_RESPONSES", "0") == "1",
            public_base_url=env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
            faults=frozenset(filter(None, env.get("SPEC_SERVER_FAULTS", "").split(","))),
            apis=env.get("SPEC_SERVER_APIS", "all"),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", str(1024 * 1024))),
            body_read_timeout=float(env.get("BODY_READ_TIMEOUT", "30")),
            header_read_timeout=float(env.get("HEADER_READ_TIMEOUT", "10")),
            max_header_bytes=int(env.get("MAX_HEADER_BYTES", str(64 * 1024))),
            keep_alive_timeout=float(env.get("KEEP_ALIVE_TIMEOUT", "5")),
        )
        settings.rate_limits.update(_parse_limits(env.get("RATE_LIMITS", "")))
        settings.plan_limits = _parse_plan_limits(env.get("PLAN_LIMITS", ""))
        for key, value in overrides.items():
            setattr(settings, key, value)
        return settings


_current: Settings | None = None


def settings() -> Settings:
    global _current
    if _current is None:
        _current = Settings.from_env()
    return _current


def install(new: Settings) -> Settings:
    global _current
    _current = new
    return new
