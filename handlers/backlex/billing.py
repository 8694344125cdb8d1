"""backlex — Billing: operations tagged 'Billing'."""

from spec_server.errors import NotImplementedYet


def get_org_billing(**_params):
    """GET /api/org/{slug}/billing"""
    raise NotImplementedYet()


def post_org_billing_checkout(**_params):
    """POST /api/org/{slug}/billing/checkout"""
    raise NotImplementedYet()


def post_org_billing_packs_checkout(**_params):
    """POST /api/org/{slug}/billing/packs/checkout"""
    raise NotImplementedYet()


def post_org_billing_subscription_cancel(**_params):
    """POST /api/org/{slug}/billing/subscription/cancel"""
    raise NotImplementedYet()


def post_org_billing_subscription_resume(**_params):
    """POST /api/org/{slug}/billing/subscription/resume"""
    raise NotImplementedYet()
