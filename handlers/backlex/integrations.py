"""backlex — Integrations: operations tagged 'Integrations'."""

from handlers.backlex import _notifications
from spec_server.errors import NotImplementedYet


def get_org_api_keys(**_params):
    """GET /api/org/{slug}/api-keys"""
    raise NotImplementedYet()


def post_org_api_keys(**_params):
    """POST /api/org/{slug}/api-keys"""
    raise NotImplementedYet()


def delete_org_api_key(**_params):
    """DELETE /api/org/{slug}/api-keys/{id}"""
    raise NotImplementedYet()


def get_org_integrations(**_params):
    """GET /api/org/{slug}/integrations"""
    raise NotImplementedYet()


def post_org_integrations(**_params):
    """POST /api/org/{slug}/integrations"""
    raise NotImplementedYet()


def delete_org_integration(**_params):
    """DELETE /api/org/{slug}/integrations/{id}"""
    raise NotImplementedYet()


def get_org_notifications(slug, limit=None):
    """GET /api/org/{slug}/notifications"""
    return _notifications.list_notifications(limit)


def post_org_notifications_read_all(slug):
    """POST /api/org/{slug}/notifications/read-all"""
    return _notifications.mark_all_read()


def post_org_notification_read(slug, id_):
    """POST /api/org/{slug}/notifications/{id}/read"""
    return _notifications.mark_read(id_)


def get_org_webhook_deliveries(**_params):
    """GET /api/org/{slug}/webhook-deliveries"""
    raise NotImplementedYet()


def get_org_webhooks(**_params):
    """GET /api/org/{slug}/webhooks"""
    raise NotImplementedYet()


def post_org_webhooks(**_params):
    """POST /api/org/{slug}/webhooks"""
    raise NotImplementedYet()


def delete_org_webhook(**_params):
    """DELETE /api/org/{slug}/webhooks/{id}"""
    raise NotImplementedYet()


def post_org_webhook_test(**_params):
    """POST /api/org/{slug}/webhooks/{id}/test"""
    raise NotImplementedYet()
