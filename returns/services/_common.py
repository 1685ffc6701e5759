"""Building blocks of the return services: the policy of a market, the RMA lock, the event
trail and the e-mails queued with a transition."""

from __future__ import annotations

from django_fsm import TransitionNotAllowed

from returns.exceptions import InvalidReturnTransition
from returns.models import ReturnEvent, ReturnNotification, ReturnRequest
from shop import jobs


def lock_rma(rma: ReturnRequest) -> ReturnRequest:
    """Re-read `rma` under its row lock (first in the lock order: return -> order -> stock)."""
    return (
        ReturnRequest.objects.select_for_update(of=("self",))
        .select_related("order", "market")
        .get(pk=rma.pk)
    )


def record_event(
    rma: ReturnRequest,
    kind: str,
    *,
    from_status: str = "",
    actor=None,
    actor_label: str = "",
    note: str = "",
    payload: dict | None = None,
) -> ReturnEvent:
    return ReturnEvent.objects.create(
        rma=rma,
        kind=kind,
        from_status=from_status,
        to_status=rma.status,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=actor_label or ("" if actor else "system"),
        note=note,
        payload=payload or {},
    )


def transition(rma: ReturnRequest, method: str, *, action: str, **kwargs) -> str:
    """Run the fsm transition `method` on the locked `rma`; return the status it left.
    Raises InvalidReturnTransition."""
    before = rma.status
    try:
        getattr(rma, method)(**kwargs)
    except TransitionNotAllowed:
        raise InvalidReturnTransition(rma=rma, action=action) from None
    return before


def queue_notification(rma: ReturnRequest, kind: str) -> None:
    """Record the e-mail `kind` for `rma` (once) and send it after commit."""
    recipient = rma.order.email
    if not recipient:
        return
    notification, created = ReturnNotification.objects.get_or_create(
        rma=rma, kind=kind, defaults={"recipient": recipient}
    )
    if not created:
        return
    from returns import tasks as return_tasks

    jobs.enqueue_on_commit(return_tasks.send_return_notification, notification.pk)
