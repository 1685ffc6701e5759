"""Model building blocks shared by every app: timestamps and opaque public identifiers."""

import secrets

from django.db import models

# Crockford-like alphabet without look-alikes, for ids read over the phone.
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXY346789"
_PUBLIC_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_public_id(prefix: str, length: int = 20) -> str:
    """Return `<prefix>_<random>`: opaque, URL-safe, never derived from a primary key."""
    return f"{prefix}_" + "".join(secrets.choice(_PUBLIC_ID_ALPHABET) for _ in range(length))


def new_reference(length: int = 8) -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(length))


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
