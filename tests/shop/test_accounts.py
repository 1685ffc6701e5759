"""Customer accounts on the storefront: sign-up, e-mail login, logout, the account page."""

import pytest

from shop import services
from shop.exceptions import ValidationFailed
from shop.models import User

pytestmark = pytest.mark.django_db

STRONG = "plum-orchard-lantern-42"


def _signup(client, email="New.Customer@Example.com", password=STRONG, confirm=None):
    return client.post(
        "/accounts/signup/",
        {"email": email, "password": password, "password_confirm": confirm or password},
    )


def test_signup_creates_a_customer_and_logs_them_in(client):
    response = _signup(client)

    assert response.status_code == 302
    assert response["Location"] == "/account/"
    user = User.objects.get()
    assert user.email == "new.customer@example.com"
    assert not user.is_staff
    assert user.check_password(STRONG)
    assert client.get("/account/").status_code == 200


def test_signup_refuses_a_registered_email_whatever_its_case(client, customer):
    response = _signup(client, email="CUSTOMER@example.com")

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert response.context["form"].errors["email"]
    assert User.objects.count() == 1


def test_signup_refuses_a_weak_password_with_the_validators_message(client):
    response = _signup(client, password="password")

    assert response.status_code == 200
    assert "This password is too common." in response.context["form"].errors["password"]
    assert not User.objects.exists()


def test_signup_refuses_mismatched_passwords(client):
    response = _signup(client, confirm="something-else-entirely")

    assert response.context["form"].errors["password_confirm"] == ["The two passwords differ."]
    assert not User.objects.exists()


def test_signup_page_renders_labelled_fields(client):
    html = client.get("/accounts/signup/").content.decode()

    assert '<label for="id_email">E-mail address</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert 'autocomplete="new-password"' in html


def test_login_with_the_email_address_in_any_case(client, customer, password):
    response = client.post(
        "/accounts/login/", {"username": "Customer@Example.COM", "password": password}
    )

    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert "customer@example.com" in client.get("/account/").content.decode()


def test_login_with_a_wrong_password_says_so(client, customer):
    response = client.post(
        "/accounts/login/", {"username": customer.email, "password": "not-the-password"}
    )

    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()


def test_account_page_requires_login(client):
    response = client.get("/account/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/account/"


def test_account_page_lists_no_orders_yet(client, customer):
    client.force_login(customer)

    html = client.get("/account/").content.decode()

    assert "Your orders" in html
    assert "You have not placed any orders yet." in html


def test_logout_is_a_post_and_ends_the_session(client, customer):
    client.force_login(customer)

    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert client.get("/account/").status_code == 302


def test_register_customer_normalises_and_refuses_duplicates():
    user = services.register_customer(email="  Ada@Example.com ", password=STRONG)

    with pytest.raises(services.EmailAlreadyRegistered):
        services.register_customer(email="ADA@example.com", password=STRONG)
    assert user.email == "ada@example.com"
    assert User.objects.count() == 1


def test_register_customer_validates_the_email_and_password():
    with pytest.raises(ValidationFailed) as bad_email:
        services.register_customer(email="not-an-email", password=STRONG)
    with pytest.raises(ValidationFailed) as bad_password:
        services.register_customer(email="ada@example.com", password="ada@example.com")

    assert list(bad_email.value.fields) == ["email"]
    assert list(bad_password.value.fields) == ["password"]
    assert not User.objects.exists()


OFF_SITE = [
    "https://evil.example.com/",
    "//evil.example.com/",
    "/\\evil.example.com/",
    "https:/evil.example.com",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("next_url", OFF_SITE)
def test_signup_never_redirects_off_site(client, next_url):
    response = client.post(
        f"/accounts/signup/?next={next_url}",
        {"email": "new@example.com", "password": STRONG, "password_confirm": STRONG},
    )

    assert response.status_code == 302
    assert response["Location"] == "/account/"


def test_signup_follows_a_local_next(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "new@example.com",
            "password": STRONG,
            "password_confirm": STRONG,
            "next": "/p/mug/?sku=MUG-1",
        },
    )

    assert response["Location"] == "/p/mug/?sku=MUG-1"


@pytest.mark.parametrize("next_url", OFF_SITE)
def test_login_never_redirects_off_site(client, customer, password, next_url):
    page = client.get("/accounts/login/", {"next": next_url})
    response = client.post(
        "/accounts/login/",
        {"username": "customer@example.com", "password": password, "next": next_url},
    )

    assert page.context["next"] == ""  # the form's hidden `next` input is left out
    assert response.status_code == 302
    assert response["Location"] == "/account/"


def test_login_follows_a_local_next(client, customer, password):
    response = client.post(
        "/accounts/login/",
        {"username": "customer@example.com", "password": password, "next": "/c/apparel/"},
    )

    assert response["Location"] == "/c/apparel/"


def test_login_and_signup_forms_need_a_csrf_token(customer, password):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)

    login = client.post(
        "/accounts/login/", {"username": "customer@example.com", "password": password}
    )
    signup = client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "password": STRONG, "password_confirm": STRONG},
    )

    assert (login.status_code, signup.status_code) == (403, 403)
    assert User.objects.count() == 1
