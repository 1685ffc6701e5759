"""Customer accounts on the storefront: sign-up, e-mail login, logout, the account page."""

import pytest

from shop import services
from shop.exceptions import ValidationFailed
from shop.models import User

pytestmark = pytest.mark.django_db

STRONG = "plum-orchard-lantern-42"


@pytest.fixture
def client(client, django_capture_on_commit_callbacks):
    """Account mail is queued when the transaction commits; the test's own transaction never
    does, so run the queued callbacks at the end of each POST as a commit would."""
    post = client.post

    def post_and_commit(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post(*args, **kwargs)

    client.post = post_and_commit
    return client


def _signup(client, email="New.Customer@Example.com", password=STRONG, confirm=None):
    return client.post(
        "/accounts/signup/",
        {"email": email, "password": password, "password_confirm": confirm or password},
    )


def _link(message, prefix="http://testserver/accounts/"):
    return next(line for line in message.body.splitlines() if line.startswith(prefix))


def test_signup_creates_a_pending_customer_and_mails_an_activation_link(client, mailoutbox):
    response = _signup(client)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/signup/done/"
    user = User.objects.get()
    assert user.email == "new.customer@example.com"
    assert not user.is_staff
    assert not user.is_active  # until the link is followed
    assert user.check_password(STRONG)
    assert client.get("/account/").status_code == 302  # not signed in yet
    assert [m.to for m in mailoutbox] == [["new.customer@example.com"]]
    assert mailoutbox[0].subject == (
        "Confirm your e-mail address to finish creating your Emporium account"
    )
    assert _link(mailoutbox[0]).startswith("http://testserver/accounts/activate/")


def test_the_activation_link_activates_the_account_and_signs_in(client, mailoutbox):
    _signup(client)
    link = _link(mailoutbox[0]).removeprefix("http://testserver")

    page = client.get(link)
    active_after_get = User.objects.get().is_active
    response = client.post(link)

    assert page.status_code == 200
    assert "Activate my account" in page.content.decode()
    assert not active_after_get  # a GET (a mail scanner) activates nothing
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert User.objects.get().is_active
    assert client.get("/account/").status_code == 200


def test_an_activation_link_works_once(client, mailoutbox):
    _signup(client)
    link = _link(mailoutbox[0]).removeprefix("http://testserver")
    client.post(link)
    client.post("/accounts/logout/")

    again = client.post(link)

    assert again.status_code == 400
    assert "This link is invalid, was already used or has expired." in again.content.decode()
    assert client.get("/account/").status_code == 302


@pytest.mark.parametrize(
    "link",
    [
        "/accounts/activate/MQ/not-a-token/",
        "/accounts/activate/%00/x/",
        "/accounts/activate/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/x-y/",
    ],
)
def test_a_bad_activation_link_is_a_clear_400(client, link):
    assert client.get(link).status_code == 400
    assert client.post(link).status_code == 400


def test_signup_answers_the_same_whether_or_not_the_address_is_registered(
    client, customer, password, mailoutbox
):
    new = _signup(client, email="new@example.com")
    taken = _signup(client, email="CUSTOMER@example.com")

    assert (new.status_code, new["Location"]) == (taken.status_code, taken["Location"])
    assert client.get(new["Location"]).content == client.get(taken["Location"]).content
    assert User.objects.count() == 2
    customer.refresh_from_db()
    assert customer.check_password(password)  # the registered account is left alone
    assert [m.to for m in mailoutbox] == [["new@example.com"], ["customer@example.com"]]
    assert mailoutbox[1].subject == "You already have an Emporium account"
    assert "http://testserver/accounts/login/" in mailoutbox[1].body
    assert "http://testserver/accounts/password/reset/" in mailoutbox[1].body


def test_signing_up_again_before_activating_sends_a_new_link_and_voids_the_old(client, mailoutbox):
    _signup(client, email="new@example.com")
    _signup(client, email="new@example.com", password="another-orchard-lantern-43")
    first, second = (_link(m).removeprefix("http://testserver") for m in mailoutbox)

    stale = client.post(first)
    fresh = client.post(second)

    assert User.objects.count() == 1
    assert stale.status_code == 400
    assert fresh["Location"] == "/account/"
    assert User.objects.get().check_password("another-orchard-lantern-43")


def test_a_deactivated_account_is_not_revived_by_signing_up(client, customer, mailoutbox):
    customer.is_active = False
    customer.last_login = customer.date_joined
    customer.save()

    response = _signup(client, email=customer.email)

    assert response["Location"] == "/accounts/signup/done/"
    assert mailoutbox == []
    customer.refresh_from_db()
    assert not customer.is_active


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
def test_signup_never_redirects_off_site(client, next_url, mailoutbox):
    client.post(
        f"/accounts/signup/?next={next_url}",
        {"email": "new@example.com", "password": STRONG, "password_confirm": STRONG},
    )
    link = _link(mailoutbox[0]).removeprefix("http://testserver")

    response = client.post(link, {"next": next_url})

    assert "next=" not in link
    assert response.status_code == 302
    assert response["Location"] == "/account/"


@pytest.mark.parametrize("next_url", ["%00", "home", "account"])
def test_an_activation_next_that_is_not_a_path_goes_to_the_account(client, next_url, mailoutbox):
    # Django's redirect() would look these up as URL names: "%00" was a 500 (NoReverseMatch).
    client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "password": STRONG, "password_confirm": STRONG},
    )
    link = _link(mailoutbox[0]).removeprefix("http://testserver")

    response = client.post(link, {"next": next_url})

    assert response.status_code == 302
    assert response["Location"] == "/account/"


def test_signup_follows_a_local_next(client, mailoutbox):
    client.post(
        "/accounts/signup/",
        {
            "email": "new@example.com",
            "password": STRONG,
            "password_confirm": STRONG,
            "next": "/p/mug/?sku=MUG-1",
        },
    )
    link = _link(mailoutbox[0]).removeprefix("http://testserver")
    page = client.get(link)

    response = client.post(link, {"next": page.context["next"]})

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


# --- Password reset: the same answer whether or not the address has an account ---------------

NEW_PASSWORD = "harbour-lantern-orchard-77"


def _reset(client, email):
    return client.post("/accounts/password/reset/", {"email": email})


def test_password_reset_answers_the_same_whether_or_not_the_address_is_registered(
    client, customer, mailoutbox
):
    known = _reset(client, "Customer@Example.com")
    unknown = _reset(client, "nobody@example.com")

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password/reset/sent/"
    assert [m.to for m in mailoutbox] == [["customer@example.com"]]
    assert mailoutbox[0].subject == "Choose a new password for your Emporium account"
    page = client.get("/accounts/password/reset/sent/").content.decode()
    assert "If an account uses that address" in page


def test_a_pending_account_gets_no_reset_mail(client, mailoutbox):
    User.objects.create_user(email="pending@example.com", password=STRONG, is_active=False)

    response = _reset(client, "pending@example.com")

    assert response["Location"] == "/accounts/password/reset/sent/"
    assert mailoutbox == []


def test_the_reset_link_sets_the_password_signs_in_and_revokes_api_keys(
    client, customer, password, mailoutbox
):
    from shop.models import ApiToken
    from shop.tokens import issue_api_token

    issue_api_token(user=customer)
    _reset(client, customer.email)
    link = _link(mailoutbox[0]).removeprefix("http://testserver")

    form_page = client.get(link, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    customer.refresh_from_db()
    assert form_page.status_code == 200
    assert response["Location"] == "/accounts/password/reset/complete/"
    assert customer.check_password(NEW_PASSWORD)
    assert not customer.check_password(password)
    assert client.get("/account/").status_code == 200
    assert not ApiToken.objects.exists()


def test_a_password_reset_lifts_the_accounts_login_lockout(client, customer, mailoutbox):
    from axes.models import AccessAttempt

    for _ in range(10):
        client.post("/accounts/login/", {"username": customer.email, "password": "wrong"})
    locked = client.post("/accounts/login/", {"username": customer.email, "password": "x"})
    _reset(client, customer.email)
    link = _link(mailoutbox[0]).removeprefix("http://testserver")
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    client.post("/accounts/logout/")

    response = client.post(
        "/accounts/login/",
        {"username": customer.email, "password": NEW_PASSWORD},
        REMOTE_ADDR="192.0.2.10",
    )

    assert locked.status_code == 429
    assert not AccessAttempt.objects.filter(username=customer.email).exists()
    assert response.status_code == 302


def test_the_login_page_links_to_password_reset(client):
    html = client.get("/accounts/login/").content.decode()

    assert '<a href="/accounts/password/reset/">Forgotten your password?</a>' in html
