"""The payment engine behind billing: a small interface and the local engine this server runs.

A hosted provider would implement ``PaymentEngine`` (create a checkout page, describe the card on
file); the local engine hosts no page: its checkout URL names the session, and the session is
completed with ``spec-server billing complete SESSION_ID`` (what a provider's webhook would do).
"""

from __future__ import annotations

from typing import Protocol

from handlers.backlex.store import CheckoutSession, Org
from spec_server.config import settings


class PaymentEngine(Protocol):
    def checkout_url(self, session: CheckoutSession) -> str: ...

    def card_on_file(self, org: Org) -> tuple[str, str]: ...

    def portal_url(self, org: Org) -> str: ...


class LocalPaymentEngine:
    """Always succeeds; every org pays with the same test card."""

    def checkout_url(self, session: CheckoutSession) -> str:
        return f"{settings().public_base_url}/billing/checkout/{session.id}"

    def card_on_file(self, org: Org) -> tuple[str, str]:
        return "visa", "4242"

    def portal_url(self, org: Org) -> str:
        return f"{settings().public_base_url}/billing/portal/{org.slug}"


_engine: PaymentEngine = LocalPaymentEngine()


def engine() -> PaymentEngine:
    return _engine
