"""Idempotency-Key on API writes (shop.idempotency), through a tiny counting view."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from shop import tasks
from shop.models import IdempotencyKey, IdempotencyStatus
from tests.factories.shop import UserFactory
from tests.shop import idempotency_urls
from tests.shop.idempotency_urls import executions

pytestmark = pytest.mark.urls("tests.shop.idempotency_urls")

URL = "/test/count"
WAIT = 30


@pytest.fixture
def runs(db):
    """How many times the view has run since the test began."""
    start = executions()
    return lambda: executions() - start


@pytest.fixture(autouse=True)
def _no_gate():
    idempotency_urls.GATE.clear()
    idempotency_urls.ENTERED.clear()
    yield
    idempotency_urls.GATE.clear()


def post(body, key="key-1", client=None, **headers):
    client = client or APIClient()
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(URL, body, format="json", headers=headers)


# Real transactions: the first claim takes the one-statement INSERT … ON CONFLICT path,
# the second finds the row and goes the general way.
@pytest.mark.django_db(transaction=True)
def test_a_replay_answers_the_first_result_without_running_again(runs):
    first = post({"echo": "a"})
    again = post({"echo": "a"})

    assert (first.status_code, first.json()) == (
        201,
        {"count": first.json()["count"], "echo": "a"},
    )
    assert first.get("Idempotent-Replayed") is None
    assert (again.status_code, again.json()) == (201, first.json())
    assert again["Idempotent-Replayed"] == "true"
    assert again["Location"] == "/things/1"
    assert again.get("X-Trace") is None  # only headers a client acts on are stored
    assert runs() == 1
    row = IdempotencyKey.objects.get()
    assert (row.scope, row.owner, row.key, row.status, row.response_status) == (
        "tests.count",
        "anonymous",
        "key-1",
        IdempotencyStatus.COMPLETE,
        201,
    )
    assert row.expires_at - row.created_at == timedelta(hours=24)


@pytest.mark.django_db
def test_the_same_body_reordered_or_respaced_is_the_same_request(runs):
    client = APIClient()
    headers = {"Idempotency-Key": "k"}
    first = client.post(
        URL, '{"echo": "a", "n": 1}', content_type="application/json", headers=headers
    )
    again = client.post(
        URL, '{"n":1,\n "echo":"a"}', content_type="application/json", headers=headers
    )

    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert runs() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_422_and_runs_nothing(runs):
    post({"echo": "a"})

    response = post({"echo": "b"})

    assert response.status_code == 422
    assert response.json() == {
        "code": "idempotency_key_reused",
        "detail": "This Idempotency-Key was already used for a different request; use a new "
        "key for a new request.",
    }
    assert runs() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "key, code",
    [
        (None, "idempotency_key_required"),
        ("", "idempotency_key_invalid"),
        ("x" * 256, "idempotency_key_invalid"),
        ("tab\there", "idempotency_key_invalid"),
        (" padded", "idempotency_key_invalid"),
        ("clé", "idempotency_key_invalid"),
    ],
)
def test_a_missing_or_malformed_key_is_400_and_runs_nothing(runs, key, code):
    response = post({"echo": "a"}, key=key)

    assert (response.status_code, response.json()["code"]) == (400, code)
    assert runs() == 0
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_the_longest_key_and_inner_spaces_are_fine(runs):
    assert post({}, key="k" * 255).status_code == 201
    assert post({}, key="order 42 / attempt 1").status_code == 201
    assert runs() == 2


@pytest.mark.django_db
def test_an_optional_key_may_be_left_out():
    client = APIClient()
    one = client.post("/test/optional", {}, format="json")
    two = client.post("/test/optional", {}, format="json")

    assert two.json()["count"] == one.json()["count"] + 1
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "outcome, status, code",
    [("refused", 409, "conflict"), ("server_error", 503, "server_error")],
)
def test_a_refusal_or_5xx_clears_the_key_so_the_client_may_retry(runs, outcome, status, code):
    failed = post({"outcome": outcome})

    assert (failed.status_code, failed.json()["code"]) == (status, code)
    assert not IdempotencyKey.objects.exists()
    retried = post({"outcome": outcome})
    assert retried.status_code == status and retried.get("Idempotent-Replayed") is None
    assert runs() == 2


@pytest.mark.django_db
def test_keys_belong_to_their_owner(runs):
    alice, bob = APIClient(), APIClient()
    alice_user, bob_user = UserFactory(email="alice@example.com"), UserFactory(email="b@x.com")
    alice.force_authenticate(alice_user)
    bob.force_authenticate(bob_user)

    assert post({"echo": "a"}, client=alice).status_code == 201
    bobs = post({"echo": "a"}, client=bob)
    anonymous = post({"echo": "a"})

    assert bobs.get("Idempotent-Replayed") is None
    assert anonymous.get("Idempotent-Replayed") is None
    assert runs() == 3
    assert set(IdempotencyKey.objects.values_list("owner", flat=True)) == {
        f"user:{alice_user.pk}",
        f"user:{bob_user.pk}",
        "anonymous",
    }


# Real transactions: the first claim takes the one-statement INSERT … ON CONFLICT path,
# the second finds the row and goes the general way.
@pytest.mark.django_db(transaction=True)
def test_an_expired_key_counts_as_new_and_is_purged(runs):
    post({"echo": "a"})
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = post({"echo": "b"})  # even with another body: the old key is gone

    assert response.status_code == 201 and response.get("Idempotent-Replayed") is None
    assert response.json()["echo"] == "b"
    assert runs() == 2
    row = IdempotencyKey.objects.get()
    assert row.expires_at > timezone.now() + timedelta(hours=23)


@pytest.mark.django_db
def test_purging_deletes_only_expired_keys(capsys):
    post({"echo": "a"}, key="old-1")
    post({"echo": "a"}, key="old-2")
    post({"echo": "a"}, key="fresh")
    IdempotencyKey.objects.exclude(key="fresh").update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    call_command("purge_idempotency_keys")

    assert capsys.readouterr().out == "Purged 2 expired idempotency key(s).\n"
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]
    IdempotencyKey.objects.update(expires_at=timezone.now())
    assert tasks.purge_idempotency_keys.delay().get() == 1
    assert not IdempotencyKey.objects.exists()


# Real transactions: the first claim takes the one-statement INSERT … ON CONFLICT path,
# the second finds the row and goes the general way.
@pytest.mark.django_db(transaction=True)
def test_a_claim_abandoned_by_a_dead_worker_may_be_taken_again(runs, settings):
    post({"echo": "a"})
    IdempotencyKey.objects.update(
        status=IdempotencyStatus.IN_FLIGHT,
        created_at=timezone.now()
        - timedelta(seconds=settings.IDEMPOTENCY_IN_FLIGHT_TIMEOUT_SECONDS + 1),
    )

    response = post({"echo": "a"})

    assert response.status_code == 201 and response.get("Idempotent-Replayed") is None
    assert runs() == 2
    assert IdempotencyKey.objects.get().status == IdempotencyStatus.COMPLETE


def _in_thread(target, results, name):
    def run():
        try:
            results[name] = target()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_while_the_first_runs_is_409_then_replays(runs):
    idempotency_urls.GATE["gate"] = threading.Event()
    results = {}
    first = _in_thread(lambda: post({"echo": "a"}), results, "first")
    assert idempotency_urls.ENTERED.wait(WAIT)

    during = post({"echo": "a"})
    idempotency_urls.GATE["gate"].set()
    first.join(WAIT)
    after = post({"echo": "a"})

    assert during.status_code == 409
    assert during.json() == {
        "code": "request_in_progress",
        "detail": "A request with this Idempotency-Key is still being processed; retry "
        "shortly to get its result.",
    }
    assert during["Retry-After"] == "1"
    assert results["first"].status_code == 201
    assert (after.status_code, after.json()) == (201, results["first"].json())
    assert after["Idempotent-Replayed"] == "true"
    assert runs() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_requests_run_exactly_once(runs):
    threads = 8
    barrier = threading.Barrier(threads)
    results = {}

    def attempt():
        barrier.wait(WAIT)
        return post({"echo": "race"}, key="race-1")

    pool = [_in_thread(attempt, results, n) for n in range(threads)]
    for thread in pool:
        thread.join(WAIT)

    answers = list(results.values())
    executed = [r for r in answers if r.status_code == 201 and not r.get("Idempotent-Replayed")]
    replayed = [r for r in answers if r.get("Idempotent-Replayed") == "true"]
    in_progress = [r for r in answers if r.status_code == 409]
    assert len(answers) == threads
    assert len(executed) == 1
    assert len(executed) + len(replayed) + len(in_progress) == threads
    assert all(r.json() == executed[0].json() for r in replayed)
    assert all(r.json()["code"] == "request_in_progress" for r in in_progress)
    assert runs() == 1
    assert IdempotencyKey.objects.get().status == IdempotencyStatus.COMPLETE


@pytest.mark.django_db
def test_a_malformed_body_is_refused_as_such_before_the_key_is_looked_at(runs):
    response = APIClient().post(URL, "{not json", content_type="application/json")

    assert (response.status_code, response.json()["code"]) == (400, "malformed_request")
    assert runs() == 0
    assert not IdempotencyKey.objects.exists()
