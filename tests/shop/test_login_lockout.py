"""Login lockout: 15 wrong passwords, then the right one is refused — on the storefront login, the
admin login and the API token endpoint alike; per client address and per account; unlocked by
the documented commands, the admin, or the cool-off."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.utils import timezone

from shop.models import ApiToken

pytestmark = pytest.mark.django_db

STOREFRONT, ADMIN, TOKEN = "/accounts/login/", "/admin/login/", "/api/v1/auth/token"
LOCKED_DETAIL = (
    "Too many failed sign-in attempts. Signing in is blocked for 15 minutes; "
    "try again later or reset your password."
)


def _attempt(client, url, email, password, ip="203.0.113.7"):
    if url == TOKEN:
        return client.post(
            url,
            {"username": email, "password": password},
            content_type="application/json",
            REMOTE_ADDR=ip,
        )
    return client.post(url, {"username": email, "password": password}, REMOTE_ADDR=ip)


def _fail(client, url, email, times, ip="203.0.113.7"):
    return [_attempt(client, url, email, "wrong-password", ip).status_code for _ in range(times)]


def _logged_in(client, response, url) -> bool:
    if url == TOKEN:
        return response.status_code == 200 and "token" in response.json()
    return SESSION_KEY in client.session


def _assert_locked_out(client, response, url):
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert not _logged_in(client, response, url)
    if url == TOKEN:
        assert response.json() == {"code": "locked_out", "detail": LOCKED_DETAIL}
        assert not ApiToken.objects.exists()
    else:
        assert LOCKED_DETAIL in response.content.decode()


@pytest.fixture
def staff(merchandiser):
    return merchandiser


@pytest.mark.parametrize("url", [STOREFRONT, ADMIN, TOKEN])
def test_fifteen_wrong_passwords_then_the_right_one_is_refused(client, staff, password, url):
    statuses = _fail(client, url, staff.email, 15)

    response = _attempt(client, url, staff.email, password)

    wrong = 400 if url == TOKEN else 200
    assert statuses == [wrong] * 9 + [429] * 6  # the tenth failure reaches the limit
    _assert_locked_out(client, response, url)


@pytest.mark.parametrize("url", [STOREFRONT, ADMIN, TOKEN])
def test_below_the_limit_the_right_password_still_works(client, staff, password, url):
    _fail(client, url, staff.email, 9)

    response = _attempt(client, url, staff.email, password)

    assert _logged_in(client, response, url)


def test_the_three_logins_share_one_counter(client, staff, password):
    _fail(client, STOREFRONT, staff.email, 4)
    _fail(client, ADMIN, staff.email, 3)
    _fail(client, TOKEN, staff.email, 3)

    for url in (STOREFRONT, ADMIN, TOKEN):
        _assert_locked_out(client, _attempt(client, url, staff.email, password), url)


def test_an_account_is_locked_whatever_address_the_guesses_come_from(client, customer, password):
    for n in range(10):
        _attempt(client, STOREFRONT, customer.email, "wrong", ip=f"198.51.100.{n + 1}")

    response = _attempt(client, STOREFRONT, customer.email, password, ip="192.0.2.99")

    _assert_locked_out(client, response, STOREFRONT)


def test_the_email_case_does_not_make_a_new_account_to_guess(client, customer, password):
    for n, email in enumerate(
        ["CUSTOMER@example.com", "Customer@Example.com ", "customer@EXAMPLE.com"]
    ):
        for _ in range(3 + (n == 0)):
            _attempt(client, TOKEN, email, "wrong", ip=f"198.51.100.{n + 1}")

    response = _attempt(client, TOKEN, "customer@example.com", password, ip="192.0.2.99")

    _assert_locked_out(client, response, TOKEN)


def test_an_address_is_locked_whatever_accounts_it_guesses(client, customer, staff, password):
    for n in range(10):
        _attempt(client, STOREFRONT, f"someone{n}@example.com", "wrong")

    locked = _attempt(client, STOREFRONT, customer.email, password)
    _assert_locked_out(client, locked, STOREFRONT)
    elsewhere = _attempt(client, STOREFRONT, staff.email, password, ip="192.0.2.50")

    assert elsewhere.status_code == 302


def test_the_lockout_does_not_tell_whether_the_account_exists(client):
    known_statuses = _fail(client, TOKEN, "nobody@example.com", 11, ip="198.51.100.1")

    response = _attempt(client, TOKEN, "nobody@example.com", "anything", ip="198.51.100.2")

    assert known_statuses == [400] * 9 + [429] * 2
    assert response.json() == {"code": "locked_out", "detail": LOCKED_DETAIL}


def test_refusals_during_a_lockout_are_not_counted(client, customer):
    _fail(client, STOREFRONT, customer.email, 25)

    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == 10


def test_axes_reset_username_unlocks_the_account(client, customer, password):
    _fail(client, STOREFRONT, customer.email, 10, ip="198.51.100.1")

    call_command("axes_reset_username", "customer@example.com")
    response = _attempt(client, STOREFRONT, customer.email, password, ip="198.51.100.2")

    assert response.status_code == 302
    assert _logged_in(client, response, STOREFRONT)


def test_axes_reset_ip_unlocks_the_address(client, customer, password):
    for n in range(10):
        _attempt(client, STOREFRONT, f"someone{n}@example.com", "wrong", ip="198.51.100.1")

    call_command("axes_reset_ip", "198.51.100.1")
    response = _attempt(client, STOREFRONT, customer.email, password, ip="198.51.100.1")

    assert response.status_code == 302


def test_staff_unlock_from_the_admin_by_deleting_the_access_attempts(
    client, customer, password, django_user_model
):
    _fail(client, TOKEN, customer.email, 10)
    admin = django_user_model.objects.create_superuser(email="root@example.com", password="x")
    staff_client = type(client)()
    staff_client.force_login(admin)
    ids = list(AccessAttempt.objects.values_list("pk", flat=True))

    changelist = staff_client.get("/admin/axes/accessattempt/")
    deleted = staff_client.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    response = _attempt(client, TOKEN, customer.email, password)

    assert changelist.status_code == 200
    assert "customer@example.com" in changelist.content.decode()
    assert deleted.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert response.status_code == 200


def test_the_lockout_ends_after_the_cool_off(client, customer, password):
    _fail(client, STOREFRONT, customer.email, 10)

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    response = _attempt(client, STOREFRONT, customer.email, password)

    assert response.status_code == 302


def test_the_lockout_page_says_what_happened_and_what_to_do(client, customer):
    response = _fail(client, STOREFRONT, customer.email, 10)
    page = _attempt(client, STOREFRONT, customer.email, "wrong")

    html = page.content.decode()
    assert response[-1] == 429
    assert "<h1>Signing in is blocked for now</h1>" in html
    assert LOCKED_DETAIL in html
    assert page["Content-Type"].startswith("text/html")


def test_a_forged_forwarded_for_header_does_not_dodge_the_address_lock(client, customer, password):
    for n in range(10):
        client.post(
            STOREFRONT,
            {"username": f"someone{n}@example.com", "password": "wrong"},
            REMOTE_ADDR="198.51.100.1",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )

    response = _attempt(client, STOREFRONT, customer.email, password, ip="198.51.100.1")

    _assert_locked_out(client, response, STOREFRONT)


def test_a_huge_or_nul_username_is_counted_not_a_500(client):
    statuses = [
        _attempt(client, TOKEN, value, "wrong").status_code
        for value in ("x" * 5000 + "@example.com", "nul\x00@example.com")
    ]

    assert all(status < 500 for status in statuses)
