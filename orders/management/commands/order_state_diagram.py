"""Print both order state machines as Graphviz DOT, read from the model's fsm transitions.

    manage.py order_state_diagram > docs/order-states.dot
    dot -Tsvg docs/order-states.dot -o docs/order-states.svg

Like django-fsm-2's `graph_transitions`, but labelled with the events that cause each
transition and without needing the graphviz Python package.
"""

from django.core.management.base import BaseCommand
from django_fsm import RETURN_VALUE

from orders.models import Order

# transition method -> the event that causes it (orders.services.events.EventType)
EVENTS = {
    "place": "payment.authorized",
    "fail_payment": "payment.declined",
    "retry_payment": "payment.retried",
    "cancel": "order.cancelled /\\ncheckout.expired",
    "hold_for_review": "fraud.review_required",
    "approve_review": "fraud.approved",
    "reject_review": "fraud.rejected",
    "fulfill_partially": "shipment.shipped (some)",
    "fulfill": "shipment.shipped (all)",
    "deliver": "shipment.delivered",
    "return_partially": "rma.completed (some)",
    "return_all": "rma.completed (all)",
    "authorize": "payment.authorized",
    "decline": "payment.declined",
    "reopen_payment": "payment.retried",
    "capture": "payment.captured",
    "void": "payment.voided",
    "refund": "refund.created",
    "open_dispute": "chargeback.notice",
    "win_dispute": "chargeback.won",
    "lose_dispute": "chargeback.lost",
}


def _targets(transition) -> list[str]:
    target = transition.target
    if isinstance(target, RETURN_VALUE):
        return list(target.allowed_states)
    return [target]


def state_diagram() -> str:
    lines = [
        "digraph order_states {",
        '  rankdir=LR; node [shape=box, style=rounded, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for field_name, title in (
        ("status", "Order.status"),
        ("payment_status", "Order.payment_status"),
    ):
        field = Order._meta.get_field(field_name)
        lines.append(f'  subgraph "cluster_{field_name}" {{')
        lines.append(f'    label="{title}"; fontname="Helvetica";')
        initial = f"{field_name}__start"
        lines.append(f'    "{initial}" [shape=point, label=""];')
        lines.append(f'    "{initial}" -> "{field_name}.{field.default}";')
        for value, _label in field.choices:
            lines.append(f'    "{field_name}.{value}" [label="{value}"];')
        edges = sorted(
            (str(t.source), target, t.name)
            for t in field.get_all_transitions(Order)
            for target in _targets(t)
        )
        for source, target, name in edges:
            event = EVENTS.get(name, name)
            lines.append(
                f'    "{field_name}.{source}" -> "{field_name}.{target}" [label="{event}"];'
            )
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "Print the order state machines (status and payment_status) as Graphviz DOT."

    def handle(self, *args, **options):
        self.stdout.write(state_diagram(), ending="")
