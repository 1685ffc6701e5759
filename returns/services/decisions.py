"""Ops decide on a request: approve (with a label), reject, cancel, close."""

from __future__ import annotations

from django.db import transaction

from returns import labels, rules
from returns.models import ReturnNotificationKind, ReturnRequest
from returns.services._common import lock_rma, queue_notification, record_event, transition


@transaction.atomic
def approve_return(
    *, rma: ReturnRequest, actor=None, message: str = "", auto: bool = False
) -> ReturnRequest:
    """requested -> approved: issue the return label and e-mail it after commit.

    Locks the RMA. Raises InvalidReturnTransition.
    """
    rma = lock_rma(rma)
    before = transition(rma, "approve", action="approved")
    policy = rules.policy_for_market(rma.market)
    provider = labels.label_provider()
    issued = provider.issue_label(rma=rma)
    rma.label_provider = provider.name
    rma.label_tracking_number = issued.tracking_number
    rma.label_cost_cents = rules.label_cost(policy)
    rma.auto_approved = auto
    rma.decision_message = str(message or "")[:2000]
    rma.save()
    record_event(
        rma,
        "approved",
        from_status=before,
        actor=actor,
        actor_label="auto-approve" if auto else "",
        note=rma.decision_message,
        payload={"label": issued.tracking_number},
    )
    queue_notification(rma, ReturnNotificationKind.APPROVED)
    return rma


@transaction.atomic
def reject_return(*, rma: ReturnRequest, actor=None, message: str = "") -> ReturnRequest:
    """requested -> rejected, with the message the customer gets by e-mail after commit."""
    rma = lock_rma(rma)
    before = transition(rma, "reject", action="rejected")
    rma.decision_message = str(message or "")[:2000]
    rma.save()
    record_event(rma, "rejected", from_status=before, actor=actor, note=rma.decision_message)
    queue_notification(rma, ReturnNotificationKind.REJECTED)
    return rma


@transaction.atomic
def cancel_return(*, rma: ReturnRequest, actor=None, note: str = "") -> ReturnRequest:
    """requested|approved -> cancelled (the customer changed their mind): its units become
    returnable again."""
    rma = lock_rma(rma)
    before = transition(rma, "cancel", action="cancelled")
    rma.save()
    record_event(rma, "cancelled", from_status=before, actor=actor, note=str(note)[:2000])
    return rma


@transaction.atomic
def close_return(*, rma: ReturnRequest, actor=None, note: str = "") -> ReturnRequest:
    """refunded -> closed: nothing more will happen to this return."""
    rma = lock_rma(rma)
    before = transition(rma, "close", action="closed")
    rma.save()
    record_event(rma, "closed", from_status=before, actor=actor, note=str(note)[:2000])
    return rma
