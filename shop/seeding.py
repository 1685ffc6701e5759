"""Demo staff and customer accounts for the embedded demo shop (never for production)."""

from django.contrib.auth.models import Group
from django.db import transaction

from shop.models import User
from shop.roles import FINANCE, MERCHANDISER, OPERATIONS, setup_roles

DEMO_PASSWORD = "emporium-demo"  # noqa: S105 - printed on start and in the README, demo only
DEMO_USERS = [
    # (e-mail, group or None, is_superuser, is_staff)
    ("admin@example.com", None, True, True),
    ("merch@example.com", MERCHANDISER, False, True),
    ("ops@example.com", OPERATIONS, False, True),
    ("finance@example.com", FINANCE, False, True),
    ("customer@example.com", None, False, False),
]


@transaction.atomic
def seed_demo_users() -> list[tuple[str, str]]:
    """Create the demo logins if missing (existing ones keep their passwords); return them."""
    setup_roles()
    logins = []
    for email, group, is_superuser, is_staff in DEMO_USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email, password=DEMO_PASSWORD, is_staff=is_staff, is_superuser=is_superuser
            )
        if group:
            user.groups.add(Group.objects.get(name=group))
        logins.append((email, group or ("superuser" if is_superuser else "customer")))
    return logins
