"""Public ids and references: the right shape, from the whole alphabet, never repeated."""

import re
from collections import Counter

from shop.db import REFERENCE_ALPHABET, new_public_id, new_reference
from shop.random_strings import random_string


def test_public_id_is_prefix_and_twenty_lowercase_base36_characters():
    ids = [new_public_id("rsv") for _ in range(2000)]

    assert all(re.fullmatch(r"rsv_[0-9a-z]{20}", value) for value in ids)
    assert len(set(ids)) == len(ids)


def test_reference_uses_only_the_phone_safe_alphabet():
    refs = [new_reference() for _ in range(2000)]

    assert all(len(ref) == 8 and set(ref) <= set(REFERENCE_ALPHABET) for ref in refs)
    assert len(set(refs)) == len(refs)


def test_every_character_is_drawn_about_equally_often_in_every_position():
    # 36 symbols x 20 positions over 3,600 draws: 100 expected per cell. A biased draw (a modulo
    # of too few bits, or the top digit never reaching the alphabet's end) shows as cells far
    # outside 100 +- 50 (five standard deviations) or as a symbol missing from a position.
    draws = [random_string(20, "0123456789abcdefghijklmnopqrstuvwxyz") for _ in range(3600)]

    for position in range(20):
        counts = Counter(draw[position] for draw in draws)
        assert len(counts) == 36, position
        assert all(50 < n < 150 for n in counts.values()), (position, counts.most_common(3))
