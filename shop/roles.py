"""Staff groups and the permissions each one gets (ARCHITECTURE.md, "Back office").

Rules are by app and action so that models added by later issues join the right group
the next time `setup_roles` runs (it also runs after every migrate).
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

MERCHANDISER, OPERATIONS, FINANCE = "Merchandiser", "Operations", "Finance"

# group -> list of (app_label, actions) ; actions from view/add/change/delete, "*" = all four.
# Model-specific extras (custom permissions such as inventory.adjust_stock) use "codename:";
# a leading "-" takes permissions away again (applied after every grant of the group).
ROLE_RULES: dict[str, list[tuple[str, str]]] = {
    MERCHANDISER: [
        ("catalog", "*"),
        ("promotions", "*"),
        ("inventory", "view"),
        ("inventory", "codename:_drop"),  # drop mode (docs/runbooks.md "Drop mode")
    ],
    OPERATIONS: [
        ("catalog", "view"),
        ("orders", "*"),
        # Tax rates are Finance's (docs/orders.md, "Admin"); Operations only reads them.
        ("orders", "-codename:add_taxrate"),
        ("orders", "-codename:change_taxrate"),
        ("orders", "-codename:delete_taxrate"),
        ("returns", "*"),
        # Refunds are Finance's (issue 12): Operations works the queue but gives no money back.
        ("returns", "-codename:refund"),
        ("inventory", "*"),
        ("promotions", "view"),
        # Kill switches and their history (docs/runbooks.md): Operations flip them.
        ("shop", "codename:killswitch"),
    ],
    FINANCE: [
        ("orders", "view"),
        ("returns", "view"),
        ("catalog", "view"),
        ("orders", "codename:refund"),
        ("returns", "codename:refund"),
        ("orders", "codename:dispute"),
        ("orders", "codename:_taxrate"),  # view, add, change, delete tax rates
    ],
}


def _permissions_for(app_label: str, actions: str):
    base = Permission.objects.filter(content_type__app_label=app_label)
    if actions == "*":
        return base
    if actions.startswith("codename:"):
        return base.filter(codename__contains=actions.removeprefix("codename:"))
    query = Q()
    for action in actions.split(","):
        query |= Q(codename__startswith=f"{action}_")
    return base.filter(query)


@transaction.atomic
def setup_roles() -> dict[str, int]:
    """Create or refresh the staff groups; return how many permissions each has. Idempotent."""
    counts = {}
    for name, rules in ROLE_RULES.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = set()
        for app_label, actions in rules:
            if not actions.startswith("-"):
                perms.update(_permissions_for(app_label, actions))
        for app_label, actions in rules:
            if actions.startswith("-"):
                perms.difference_update(_permissions_for(app_label, actions.removeprefix("-")))
        group.permissions.set(perms)
        counts[name] = len(perms)
    return counts
