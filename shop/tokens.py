"""API tokens: issue one per login, recognise a presented key, revoke (the user or staff).

A key is shown once, when issued; only its SHA-256 digest is kept (keys are 240 random bits, so
an unsalted digest is enough). Use refreshes `last_used_at` at most once a minute per token:
the idle expiry needs no more precision than that, and busy integrations cost no write per call.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from shop.models import ApiToken

_TOUCH_EVERY = timedelta(minutes=1)
logger = logging.getLogger(__name__)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


@transaction.atomic
def issue_api_token(*, user) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it with its key (the only time the key is known)."""
    key = secrets.token_urlsafe(30)
    token = ApiToken.objects.create(user=user, digest=_digest(key), prefix=key[:8])
    return token, key


def find_api_token(key: str) -> ApiToken | None:
    """The token whose key this is, with its user; None for an unknown key."""
    return ApiToken.objects.select_related("user").filter(digest=_digest(key)).first()


def mark_api_token_used(token: ApiToken, *, now=None) -> None:
    now = now or timezone.now()
    if now - token.last_used_at < _TOUCH_EVERY:
        return
    ApiToken.objects.filter(pk=token.pk, last_used_at__lt=now - _TOUCH_EVERY).update(
        last_used_at=now
    )
    token.last_used_at = now


def revoke_api_tokens(*, tokens, actor) -> int:
    """Revoke (delete) `tokens` — a queryset or a list: the key stops working at once. `actor`
    is the user revoking them (the owner, or staff in the admin). Returns how many."""
    ids = [t.pk for t in tokens]
    deleted, _ = ApiToken.objects.filter(pk__in=ids).delete()
    logger.info("%s revoked %d API token(s) %s", actor, deleted, ids)
    return deleted


def revoke_all_api_tokens(*, user, actor) -> int:
    """Every token of `user` (a password reset ends every session and every key)."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    logger.info("%s revoked all %d API token(s) of %s", actor, deleted, user)
    return deleted
