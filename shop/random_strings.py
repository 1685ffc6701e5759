"""Random strings from one read of the operating system's random source (public ids,
references, CSRF tokens), and CSRF tokens' masks applied through a table.

Django's get_random_string draws every character with secrets.choice, one os.urandom call
each: 64 system calls per CSRF token (its secret and its mask) for a visitor without a
csrftoken cookie, about a sixth of a cached product page's CPU under load. `random_string` draws
the same thing (every character uniform over the alphabet, from the same cryptographic source)
out of one urandom read: a byte at or above the largest multiple of the alphabet's size is
thrown away, so no character is likelier than another.

Masking a secret for a page (the per-response token that defeats BREACH) is, in Django, two
`str.index` calls and a modulo per character in a generator: a tenth of a cached page's CPU.
`mask_csrf_secret` gives the same token (the mask's characters added to the secret's, modulo
the alphabet) through a table of every pair, in one C-level pass. ShopConfig.ready() hands both
to django.middleware.csrf; shop.db draws public ids and references with `random_string`; the
rest of Django keeps its own.
"""

from __future__ import annotations

import functools
import os

from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.utils.crypto import get_random_string


def random_string(length: int, allowed_chars: str) -> str:
    """`length` characters, each drawn uniformly from `allowed_chars` (os.urandom)."""
    table = _byte_table(allowed_chars)
    if table is None:
        return get_random_string(length, allowed_chars)
    to_chars, dropped = table
    drawn = b""
    while len(drawn) < length:
        # Enough for the whole string almost always (62 characters: 3% of bytes are dropped).
        drawn += os.urandom(length + length // 4 + 4).translate(to_chars, dropped)
    return drawn[:length].decode("ascii")


@functools.lru_cache(maxsize=16)
def _byte_table(allowed_chars: str) -> tuple[bytes, bytes] | None:
    """(byte -> character table, the bytes to throw away) for bytes.translate, or None for an
    alphabet this cannot draw from (empty, over 256 characters, not ASCII)."""
    size = len(allowed_chars)
    if not 0 < size <= 256 or not allowed_chars.isascii():
        return None
    usable = 256 - 256 % size  # bytes below this map onto the alphabet evenly
    to_chars = bytes(ord(allowed_chars[b % size]) if b < usable else 0 for b in range(256))
    return to_chars, bytes(range(usable, 256))


# (secret character, mask character) -> the token's character: their positions in the alphabet
# added, modulo its length, as Django's _mask_cipher_secret computes one at a time.
_MASKED = {
    (secret, mask): CSRF_ALLOWED_CHARS[(i + j) % len(CSRF_ALLOWED_CHARS)]
    for i, secret in enumerate(CSRF_ALLOWED_CHARS)
    for j, mask in enumerate(CSRF_ALLOWED_CHARS)
}


def mask_csrf_secret(secret: str) -> str:
    """A new token for `secret`: a fresh random mask, then the secret masked by it (what
    django.middleware.csrf._unmask_cipher_token reads back)."""
    mask = random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)
    return mask + "".join(map(_MASKED.__getitem__, zip(secret, mask, strict=True)))
