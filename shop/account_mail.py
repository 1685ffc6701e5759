"""The account e-mails (sign-up, password reset): rendered here, sent by the send_email task
through shop.jobs once the transaction commits, so a mail server or broker outage never fails
the page that asked for them."""

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlencode, urlsafe_base64_encode

from shop import jobs, tasks


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    """Links that activate a pending account. A link stops working once the account is active
    or its password changes (a later sign-up for the same address), and after
    PASSWORD_RESET_TIMEOUT (3 days)."""

    key_salt = "shop.account_mail.ActivationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.password}{user.is_active}{timestamp}"


activation_tokens = ActivationTokenGenerator()


def send_templated(*, to: str, subject_template: str, body_template: str, context: dict) -> None:
    subject = "".join(render_to_string(subject_template, context).splitlines())
    body = render_to_string(body_template, context)
    jobs.enqueue_on_commit(tasks.send_email, subject=subject, body=body, to=[to])


def send_activation(user, *, base_url: str, next_url: str = "") -> None:
    path = reverse(
        "activate",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": activation_tokens.make_token(user),
        },
    )
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    send_templated(
        to=user.email,
        subject_template="registration/signup_activation_subject.txt",
        body_template="registration/signup_activation_email.txt",
        context={"user": user, "activate_url": base_url + path + query},
    )


def send_already_registered(user, *, base_url: str) -> None:
    send_templated(
        to=user.email,
        subject_template="registration/signup_exists_subject.txt",
        body_template="registration/signup_exists_email.txt",
        context={
            "user": user,
            "login_url": base_url + reverse("login"),
            "reset_url": base_url + reverse("password_reset"),
        },
    )
