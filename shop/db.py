"""Model building blocks shared by every app: timestamps and opaque public identifiers."""

from django.db import models

from shop.random_strings import random_string

# Crockford-like alphabet without look-alikes, for ids read over the phone.
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXY346789"
_PUBLIC_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_public_id(prefix: str, length: int = 20) -> str:
    """Return `<prefix>_<random>`: opaque, URL-safe, never derived from a primary key."""
    return f"{prefix}_{random_string(length, _PUBLIC_ID_ALPHABET)}"


def new_reference(length: int = 8) -> str:
    return random_string(length, REFERENCE_ALPHABET)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
