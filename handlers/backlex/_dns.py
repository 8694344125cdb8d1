"""DNS lookups behind one small interface, so domain verification can be tested offline.

``resolver()`` answers the installed resolver: the system's (dnspython, reading
/etc/resolv.conf) unless a test or an embedding installs another with ``install``.
"""

from __future__ import annotations

from typing import Protocol


class LookupFailed(Exception):
    """No answer; the message says why (no such name, no TXT record, timeout...)."""


class Resolver(Protocol):
    def txt(self, name: str) -> list[str]:
        """Every TXT string published at ``name``; LookupFailed when there is none."""


class SystemResolver:
    def __init__(self, timeout: float = 5.0):
        self.timeout = timeout

    def txt(self, name: str) -> list[str]:
        import dns.exception
        import dns.resolver

        try:
            answer = dns.resolver.resolve(name, "TXT", lifetime=self.timeout)
        except dns.resolver.NXDOMAIN:
            raise LookupFailed(f"{name} does not exist") from None
        except dns.resolver.NoAnswer:
            raise LookupFailed(f"{name} has no TXT record") from None
        except dns.exception.Timeout:
            raise LookupFailed(f"DNS lookup of {name} timed out") from None
        except dns.exception.DNSException as error:
            raise LookupFailed(f"DNS lookup of {name} failed: {error.__class__.__name__}") from None
        return [b"".join(record.strings).decode(errors="replace") for record in answer]


class StaticResolver:
    """A fake: a dict of name → TXT strings (tests)."""

    def __init__(self, records: dict[str, list[str]] | None = None):
        self.records = dict(records or {})

    def txt(self, name: str) -> list[str]:
        values = self.records.get(name.rstrip(".").lower())
        if not values:
            raise LookupFailed(f"{name} has no TXT record")
        return list(values)


_installed: Resolver | None = None


def resolver() -> Resolver:
    return _installed or SystemResolver()


def install(new: Resolver | None) -> None:
    """Use ``new`` for every lookup (None: back to the system resolver)."""
    global _installed
    _installed = new
