"""shop.random_strings: CSRF tokens drawn from one urandom read, as random as Django's and
accepted by Django's CSRF check."""

import re
import string
from collections import Counter
from unittest import mock

import pytest
from django.middleware import csrf
from django.test import Client

from shop.random_strings import mask_csrf_secret, random_string

ALPHABET = string.ascii_letters + string.digits  # Django's CSRF_ALLOWED_CHARS


def test_csrf_draws_its_secrets_and_masks_through_it():
    # If Django stops drawing through this name the tokens stay right, only slower: this says so.
    assert csrf.get_random_string is random_string
    assert csrf._mask_cipher_secret is mask_csrf_secret
    assert csrf.get_token.__globals__ is vars(csrf)  # get_token looks the name up there
    assert csrf.CSRF_ALLOWED_CHARS == ALPHABET


def test_length_and_alphabet_are_kept_and_no_two_strings_repeat():
    drawn = [random_string(32, ALPHABET) for _ in range(2000)]

    assert all(len(s) == 32 and set(s) <= set(ALPHABET) for s in drawn)
    assert len(set(drawn)) == len(drawn)
    assert random_string(0, ALPHABET) == ""
    assert set(random_string(500, "ab")) == {"a", "b"}


def test_every_character_is_equally_likely():
    counts = Counter(random_string(62_000, ALPHABET))

    # 1,000 expected each (standard deviation ~31). A plain byte % 62 would put the first 8
    # characters near 1,211 and the rest near 969: the two groups' means must agree within
    # noise (their difference's deviation is ~12; 60 is five of them).
    assert set(counts) == set(ALPHABET)
    assert all(800 < n < 1200 for n in counts.values()), counts
    first = sum(counts[c] for c in ALPHABET[:8]) / 8
    rest = sum(counts[c] for c in ALPHABET[8:]) / 54
    assert abs(first - rest) < 60


def test_a_masked_secret_unmasks_to_itself_with_djangos_own_code():
    secrets = [random_string(32, ALPHABET) for _ in range(500)] + ["a" * 32, "9" * 32]

    for secret in secrets:
        token = mask_csrf_secret(secret)
        assert len(token) == 64 and set(token) <= set(ALPHABET)
        assert csrf._unmask_cipher_token(token) == secret
    # A new mask every time: two pages never carry the same token for one secret.
    assert len({mask_csrf_secret(secrets[0]) for _ in range(200)}) == 200


def test_it_masks_exactly_as_django_does():
    secret, mask = random_string(32, ALPHABET), random_string(32, ALPHABET)
    positions = [ALPHABET.index(c) for c in secret], [ALPHABET.index(c) for c in mask]
    expected = "".join(ALPHABET[(s + m) % 62] for s, m in zip(*positions, strict=True))

    with mock.patch("shop.random_strings.random_string", return_value=mask):
        assert mask_csrf_secret(secret) == mask + expected


@pytest.mark.django_db
def test_a_token_it_made_is_accepted_and_a_forged_one_refused():
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]

    accepted = browser.post(
        "/accounts/login/",
        {"csrfmiddlewaretoken": token, "username": "nobody@example.com", "password": "wrong"},
    )
    forged = browser.post(
        "/accounts/login/",
        {"csrfmiddlewaretoken": random_string(64, ALPHABET), "username": "x", "password": "y"},
    )

    assert len(token) == 64 and set(token) <= set(ALPHABET)
    assert accepted.status_code == 200  # the form again, with its error: past the CSRF check
    assert forged.status_code == 403
