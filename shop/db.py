"""Model building blocks shared by every app: timestamps and opaque public identifiers."""

import secrets

from django.db import models

# Crockford-like alphabet without look-alikes, for ids read over the phone.
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXY346789"
_PUBLIC_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def random_string(alphabet: str, length: int) -> str:
    """`length` characters drawn uniformly from `alphabet`, from one read of the OS's random
    source: secrets.choice per character reads it once per character, which was a seventh of
    a reservation's Python time. Rejection sampling keeps every string equally likely."""
    base = len(alphabet)
    space = base**length
    bits = space.bit_length()
    number = secrets.randbits(bits)
    while number >= space:  # fewer than half the draws; each retry is one more read
        number = secrets.randbits(bits)
    chars = []
    for _ in range(length):
        number, digit = divmod(number, base)
        chars.append(alphabet[digit])
    return "".join(chars)


def new_public_id(prefix: str, length: int = 20) -> str:
    """Return `<prefix>_<random>`: opaque, URL-safe, never derived from a primary key."""
    return f"{prefix}_{random_string(_PUBLIC_ID_ALPHABET, length)}"


def new_reference(length: int = 8) -> str:
    return random_string(REFERENCE_ALPHABET, length)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
