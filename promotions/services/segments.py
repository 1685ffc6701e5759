"""Named customer segments (vip, wholesale…): creating them and saying who belongs.

`customer_segment` conditions name them; "new" and "returning" follow from the customer's
orders and cannot be created. Membership changes need no cache bump: the promotion result
cache keys on the cart's segments (CartContext.fingerprint), which are read per cart.
"""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import Lower

from promotions.models import CustomerSegment, Segment
from shop.exceptions import ValidationFailed

RESERVED = {"new", "returning"}
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
MAX_MEMBERS = 10_000


def _clean_slug(slug) -> str:
    slug = (slug or "").strip().lower() if isinstance(slug, str) else ""
    if not SLUG_RE.match(slug):
        raise ValidationFailed(
            "A segment id is 1 to 50 lowercase letters, digits, - or _.",
            fields={"slug": ["Use lowercase letters, digits, - or _ (at most 50)."]},
        )
    if slug in RESERVED:
        raise ValidationFailed(
            f"'{slug}' is given by the customer's orders; it cannot be a named segment.",
            fields={"slug": ["new and returning follow from the orders."]},
        )
    return slug


def _customers_by_email(emails: list[str]) -> list:
    if len(emails) > MAX_MEMBERS:
        raise ValidationFailed(
            f"At most {MAX_MEMBERS} members at once.", fields={"members": ["Too many lines."]}
        )
    wanted = {e.strip().lower() for e in emails if e.strip()}
    bad = sorted(e for e in wanted if "\x00" in e or len(e) > 254 or "@" not in e)
    if bad:
        raise ValidationFailed(
            f"Not an e-mail address: {', '.join(repr(e) for e in bad[:5])}.",
            fields={"members": [f"Not an e-mail address: {bad[0]!r}."]},
        )
    users = get_user_model().objects.annotate(email_lower=Lower("email"))
    users = users.filter(email_lower__in=wanted).only("pk", "email")
    found = {u.email.lower(): u for u in users}
    unknown = sorted(wanted - set(found))
    if unknown:
        raise ValidationFailed(
            f"No customer with the e-mail {', '.join(unknown[:5])}"
            + (f" (and {len(unknown) - 5} more)" if len(unknown) > 5 else "")
            + ".",
            fields={"members": [f"No customer with the e-mail {unknown[0]}."]},
        )
    return list(found.values())


@transaction.atomic
def save_segment(
    *,
    slug: str,
    name: str,
    member_emails: list[str] | None = None,
    description: str = "",
    actor=None,
) -> Segment:
    """Create the segment `slug` or rename it; with `member_emails`, make exactly those
    customers its members. Locks the segment row. Raises ValidationFailed (bad id, reserved
    id, unknown or malformed e-mail, too many), nothing written."""
    slug = _clean_slug(slug)
    name = (name or "").strip()
    if not name or len(name) > 100 or "\x00" in name or "\x00" in (description or ""):
        raise ValidationFailed(
            "A segment needs a name of 1 to 100 characters.", fields={"name": ["Required."]}
        )
    customers = _customers_by_email(member_emails) if member_emails is not None else None
    segment = Segment.objects.select_for_update().filter(slug=slug).first()
    if segment is None:
        segment = Segment.objects.create(slug=slug, name=name, description=description or "")
    else:
        segment.name, segment.description = name, description or ""
        segment.save(update_fields=["name", "description"])
    if customers is not None:
        keep = {c.pk for c in customers}
        CustomerSegment.objects.filter(segment=segment).exclude(customer_id__in=keep).delete()
        have = set(
            CustomerSegment.objects.filter(segment=segment).values_list("customer_id", flat=True)
        )
        CustomerSegment.objects.bulk_create(
            CustomerSegment(customer_id=pk, segment=segment) for pk in sorted(keep - have)
        )
    return segment


@transaction.atomic
def set_customer_segments(*, customer, segments: list[str], actor=None) -> None:
    """Make `customer` a member of exactly the named `segments` (creating the ones that do not
    exist yet, named after their id). Raises ValidationFailed for a bad or reserved id."""
    slugs = sorted({_clean_slug(s) for s in segments})
    existing = set(Segment.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    Segment.objects.bulk_create(
        [Segment(slug=s, name=s) for s in slugs if s not in existing], ignore_conflicts=True
    )
    CustomerSegment.objects.filter(customer=customer).exclude(segment_id__in=slugs).delete()
    have = set(
        CustomerSegment.objects.filter(customer=customer).values_list("segment_id", flat=True)
    )
    CustomerSegment.objects.bulk_create(
        CustomerSegment(customer=customer, segment_id=s) for s in slugs if s not in have
    )
