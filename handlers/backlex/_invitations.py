"""Invitations: a pending seat (``Member`` with status ``pending``) plus an emailed token.

The token is shown only in the email (stored as a digest); resending mints a new one and the
old one stops working. An invitation expires 7 days after it was (re)sent.
"""

from __future__ import annotations

from generated.backlex import models
from handlers.backlex import _mail
from handlers.backlex.store import Member, Org, User
from spec_server import clock, credentials
from spec_server.config import settings

INVITE_TTL_MS = 7 * 24 * 3600 * 1000
TOKEN_PREFIX = "inv_"


def issue(org: Org, member: Member, inviter_email: str | None) -> str:
    """Mint a fresh token for a pending seat and put the invitation email in the outbox."""
    token = credentials.mint(TOKEN_PREFIX, 24)
    _mail.redact_invitations(org.id, member.email)  # a resend: the earlier token dies now
    now = clock.now_ms()
    Member.update(invite_token_digest=credentials.digest(token),
                  invite_expires_at=now + INVITE_TTL_MS).where(Member.id == member.id).execute()
    link = f"{settings().public_base_url}/invite/accept?token={token}"
    inviter = inviter_email or "An administrator"
    body = (f"{inviter} invited you to join {org.name} on backlex as {member.role}.\n\n"
            f"Accept the invitation: {link}\n\n"
            f"Or sign in and send this token to POST /api/invitations/accept: {token}\n\n"
            f"The invitation expires in 7 days.")
    _mail.send(member.email, f"You're invited to join {org.name} on backlex", body,
               kind="invitation", org_id=org.id, token=token)
    return token


def find_by_token(token: str) -> Member | None:
    return Member.get_or_none((Member.invite_token_digest == credentials.digest(token))
                              & (Member.status == "pending"))


def member_view(member: Member, users: dict[str, User]) -> models.Member:
    user = users.get(member.user_id) if member.user_id else None
    return {
        "id": member.id,
        "userId": member.user_id,
        "email": member.email,
        "name": user.name if user else None,
        "role": member.role,
        "status": member.status,
        "invitedBy": member.invited_by,
        "createdAt": clock.iso(member.created_at),
        "joinedAt": clock.iso(member.joined_at),
        "inviteExpiresAt": clock.iso(member.invite_expires_at) if member.status == "pending" else None,
    }
