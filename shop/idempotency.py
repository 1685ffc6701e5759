"""`Idempotency-Key` for API writes: a retried request gets the first answer, never a second
order or charge (API.md "Orders"; ARCHITECTURE.md "Every mutating checkout call is idempotent").

    class OrderCreateApi(APIView):
        @idempotent(scope="orders.create")
        def post(self, request): ...

Per (scope, owner, key), where owner is the user (`user:<id>`) or `anonymous`:
- the first request claims the key `in_flight` in its own committed transaction, so a
  concurrent duplicate sees the claim; the view then runs, and its response (status, JSON body,
  the headers in REPLAYED_HEADERS) is stored with the key marked `complete`;
- a replay with the same key and the same request (fingerprint: sha256 of method, path with
  query string, and the body as canonical JSON) answers the stored status and body again,
  with `Idempotent-Replayed: true`, without running the view;
- the same key with a different request: 422 `idempotency_key_reused`;
- the same key while the first is still running: 409 `request_in_progress` (Retry-After: 1);
- a 5xx answer or an exception (a refusal raised by a service writes nothing) clears the
  claim, so the client may retry with the same key;
- keys expire after IDEMPOTENCY_KEY_TTL_SECONDS (24 h): an expired key counts as new, and
  `purge_expired_keys` (beat task, `manage.py purge_idempotency_keys`) deletes them. A claim
  left in flight longer than IDEMPOTENCY_IN_FLIGHT_TIMEOUT_SECONDS belongs to a worker that
  died mid-request (gunicorn's timeout kills it without running our `finally`): it may be
  claimed again rather than answer 409 for a day.

The claim runs before the view and the completion after it, each in its own transaction: the
view's services own their transactions (place_order is `durable`, and the payment gateway is
called outside any transaction), so the stored answer cannot share one with the view's writes.
"""

import functools
import hashlib
import json
import logging
import re
from datetime import timedelta

from django.conf import settings
from django.db import connections, router, transaction
from django.http import QueryDict
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from shop.exceptions import Conflict, DomainError, ValidationFailed
from shop.models import IdempotencyKey, IdempotencyStatus

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Headers a client may act on; the rest (Vary, Allow, cookies...) are the server's own again.
REPLAYED_HEADERS = ("Location", "Retry-After")
# 1-255 printable ASCII characters, not starting or ending with a space.
_KEY = re.compile(r"[\x21-\x7e]([\x20-\x7e]{0,253}[\x21-\x7e])?")

# For the operation's @extend_schema(parameters=[...]), so the OpenAPI document shows the header.
KEY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="1-255 printable characters naming this attempt; send it again unchanged "
    "on a retry to get the first answer (header Idempotent-Replayed: true).",
)


class IdempotencyKeyRequired(ValidationFailed):
    code = "idempotency_key_required"

    def __init__(self):
        super().__init__(
            f"This operation needs an {HEADER} header: 1-255 printable characters that "
            "identify this attempt, sent again unchanged when you retry it."
        )


class IdempotencyKeyInvalid(ValidationFailed):
    code = "idempotency_key_invalid"

    def __init__(self):
        super().__init__(
            f"The {HEADER} header must be 1-255 printable ASCII characters, without leading "
            "or trailing spaces."
        )


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status_code = 422

    def __init__(self):
        super().__init__(
            f"This {HEADER} was already used for a different request; use a new key for a "
            "new request."
        )


class RequestInProgress(Conflict):
    code = "request_in_progress"
    retry_after = 1  # seconds; the API's error handler sends it as Retry-After

    def __init__(self):
        super().__init__(
            f"A request with this {HEADER} is still being processed; retry shortly to get "
            "its result."
        )


def idempotent(scope: str, *, required: bool = True):
    """Decorate a DRF APIView handler (post, put, patch, delete) to honour Idempotency-Key.

    `scope` names the operation (`orders.create`); keys are separate per scope and owner.
    Without the header the call is refused (400) when `required`, else simply run.
    """

    def decorate(handler):
        @functools.wraps(handler)
        def wrapper(view, request, *args, **kwargs):
            return run_idempotently(
                request,
                scope=scope,
                required=required,
                run=lambda: handler(view, request, *args, **kwargs),
            )

        return wrapper

    return decorate


def run_idempotently(request, *, scope: str, required: bool, run) -> Response:
    """Run `run()` (the view) at most once per key; see the module docstring."""
    # A body the parsers refuse (malformed JSON, NUL, too deep) is answered as such first:
    # it is the same 400 with or without a key, and no key is spent on it.
    request.data  # noqa: B018 - parses now
    key = read_key(request, required=required)
    if key is None:
        return run()
    claim, fresh = claim_key(
        scope=scope,
        owner=request_owner(request),
        key=key,
        fingerprint=request_fingerprint(request),
    )
    if not fresh:
        return replay(claim)
    try:
        response = run()
    except BaseException:
        release_key(claim)
        raise
    if response.status_code >= 500 or not isinstance(response, Response):
        if not isinstance(response, Response):
            logger.warning("%s answered a %s, which cannot be replayed", scope, type(response))
        release_key(claim)
    else:
        complete_key(claim, response)
    return response


def read_key(request, *, required: bool) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        if required:
            raise IdempotencyKeyRequired()
        return None
    if not _KEY.fullmatch(key):
        raise IdempotencyKeyInvalid()
    return key


def request_owner(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return "anonymous"


def request_fingerprint(request) -> str:
    """sha256 of method, path (with query string) and the body as canonical JSON: the same
    request sent again with its keys reordered or re-spaced has the same fingerprint."""
    data = request.data
    if isinstance(data, QueryDict):
        data = {name: data.getlist(name) for name in data}
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    text = f"{request.method}\n{request.get_full_path()}\n{body}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def claim_key(
    *, scope: str, owner: str, key: str, fingerprint: str, now=None
) -> tuple[IdempotencyKey, bool]:
    """(row, True) when this request now owns the key (new, expired or abandoned), or
    (row, False) with a completed row to replay. Commits the claim before returning.

    Raises IdempotencyKeyReused (another request's key) and RequestInProgress.
    """
    now = now or timezone.now()
    claimed = {
        "fingerprint": fingerprint,
        "status": IdempotencyStatus.IN_FLIGHT,
        "response_status": None,
        "response_body": None,
        "response_headers": {},
        "created_at": now,
        "expires_at": now + timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL_SECONDS),
    }
    fresh = _insert_new_claim(scope=scope, owner=owner, key=key, claimed=claimed)
    if fresh is not None:
        return fresh, True
    abandoned = now - timedelta(seconds=settings.IDEMPOTENCY_IN_FLIGHT_TIMEOUT_SECONDS)
    for _attempt in range(3):  # another request may delete or retake the row between reads
        with transaction.atomic():
            # A concurrent duplicate's INSERT waits on the unique index until this commits,
            # then get_or_create reads the committed claim.
            row, created = IdempotencyKey.objects.get_or_create(
                scope=scope, owner=owner, key=key, defaults=claimed
            )
        if created:
            return row, True
        reclaim = row.expires_at <= now or (
            row.status == IdempotencyStatus.IN_FLIGHT
            and row.created_at <= abandoned
            and row.fingerprint == fingerprint
        )
        if not reclaim:
            break
        # Conditional on what we read, so of two requests reclaiming it only one wins.
        taken = IdempotencyKey.objects.filter(
            pk=row.pk, status=row.status, created_at=row.created_at
        ).update(**claimed)
        if taken:
            return IdempotencyKey.objects.get(pk=row.pk), True
    else:
        raise RequestInProgress()  # others kept retaking it: one of them is running it
    if row.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if row.status == IdempotencyStatus.IN_FLIGHT:
        raise RequestInProgress()
    return row, False


def _insert_new_claim(*, scope: str, owner: str, key: str, claimed: dict) -> IdempotencyKey | None:
    """The claim of a key never seen before, in one statement; None when the key exists (or
    off PostgreSQL), for claim_key's general path to read and judge.

    Every checkout carries a new key, so this is the case to make cheap: an INSERT … ON
    CONFLICT DO NOTHING in autocommit, instead of get_or_create's transaction, SELECT,
    savepoint and INSERT. A concurrent insert of the same key waits for that one to commit
    and then does nothing, exactly as the unique index makes get_or_create do.
    """
    connection = connections[router.db_for_write(IdempotencyKey)]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    row = IdempotencyKey(scope=scope, owner=owner, key=key, **claimed)
    fields = [f for f in IdempotencyKey._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
    table = connection.ops.quote_name(IdempotencyKey._meta.db_table)
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks}) "  # noqa: S608 - names are ours
            "ON CONFLICT (scope, owner, key) DO NOTHING RETURNING id",
            values,
        )
        inserted = cursor.fetchone()
    if inserted is None:
        return None
    row.pk = inserted[0]
    row._state.adding, row._state.db = False, connection.alias
    return row


def complete_key(claim: IdempotencyKey, response: Response) -> None:
    """Store the view's answer on the claim and mark it complete."""
    body = None if response.data is None else json.loads(JSONRenderer().render(response.data))
    headers = {name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)}
    IdempotencyKey.objects.filter(
        pk=claim.pk, status=IdempotencyStatus.IN_FLIGHT, created_at=claim.created_at
    ).update(
        status=IdempotencyStatus.COMPLETE,
        response_status=response.status_code,
        response_body=body,
        response_headers=headers,
    )


def release_key(claim: IdempotencyKey) -> None:
    """Forget a claim whose request failed, so the client may retry with the same key."""
    IdempotencyKey.objects.filter(
        pk=claim.pk, status=IdempotencyStatus.IN_FLIGHT, created_at=claim.created_at
    ).delete()


def replay(row: IdempotencyKey) -> Response:
    return Response(
        row.response_body,
        status=row.response_status,
        headers={**row.response_headers, REPLAYED_HEADER: "true"},
    )


def purge_expired_keys(*, now=None, batch_size: int = 1000) -> int:
    """Delete keys past their expiry, in batches (each its own statement); returns how many."""
    now = now or timezone.now()
    total = 0
    while True:
        batch = list(
            IdempotencyKey.objects.filter(expires_at__lte=now).values_list("pk", flat=True)[
                :batch_size
            ]
        )
        if not batch:
            return total
        total += IdempotencyKey.objects.filter(pk__in=batch, expires_at__lte=now).delete()[0]
