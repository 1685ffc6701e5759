import pytest
from django.contrib.auth import authenticate, get_user_model
from django.db import IntegrityError

from shop.models import User

pytestmark = pytest.mark.django_db


def test_user_model_is_the_custom_email_user():
    assert get_user_model() is User
    assert User.USERNAME_FIELD == "email"
    assert not hasattr(User(), "username") or User.username is None


def test_create_user_normalises_email_and_logs_in_with_it(password):
    user = User.objects.create_user(email="Grace@Example.COM", password=password)

    assert user.email == "grace@example.com"
    assert authenticate(username="GRACE@example.com", password=password) == user
    assert authenticate(username="grace@example.com", password="wrong") is None


def test_email_is_unique():
    User.objects.create_user(email="dup@example.com", password="x" * 12)

    with pytest.raises(IntegrityError):
        User.objects.create_user(email="dup@example.com", password="y" * 12)


def test_create_superuser_is_staff_and_superuser():
    admin = User.objects.create_superuser(email="root@example.com", password="z" * 12)

    assert (admin.is_staff, admin.is_superuser) == (True, True)


def test_create_user_without_email_is_refused():
    with pytest.raises(ValueError, match="e-mail address is required"):
        User.objects.create_user(email="", password="x" * 12)
