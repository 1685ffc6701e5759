"""Random strings for CSRF tokens from one read of the operating system's random source.

Django's get_random_string draws every character with secrets.choice, one os.urandom call
each: 64 system calls per CSRF token (its secret and its mask) for a visitor without a
csrftoken cookie, about a sixth of a cached product page's CPU under load. `random_string` draws
the same thing (every character uniform over the alphabet, from the same cryptographic source)
out of one urandom read: a byte at or above the largest multiple of the alphabet's size is
thrown away, so no character is likelier than another. ShopConfig.ready() hands it to
django.middleware.csrf alone; everything else keeps Django's.
"""

from __future__ import annotations

import os

from django.utils.crypto import get_random_string


def random_string(length: int, allowed_chars: str) -> str:
    """`length` characters, each drawn uniformly from `allowed_chars` (os.urandom)."""
    size = len(allowed_chars)
    if not 0 < size <= 256:
        return get_random_string(length, allowed_chars)
    usable = 256 - 256 % size  # bytes below this map onto the alphabet evenly
    chars: list[str] = []
    while len(chars) < length:
        # Enough for the whole string almost always (62 characters: 3% of bytes are dropped).
        for byte in os.urandom(length + length // 4 + 4):
            if byte < usable:
                chars.append(allowed_chars[byte % size])
                if len(chars) == length:
                    break
    return "".join(chars)
