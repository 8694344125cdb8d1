"""Per-user notifications in an org (tagged Integrations in the document)."""

from __future__ import annotations

from spec_server.errors import NotImplementedYet


def list_notifications(limit):
    raise NotImplementedYet()


def mark_read(notification_id):
    raise NotImplementedYet()


def mark_all_read():
    raise NotImplementedYet()
