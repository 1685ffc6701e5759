"""shop.webhooks: the strict signature header and the record that makes a replay a no-op."""

import threading
import time

import pytest
from django.db import connection, transaction

from shop.models import ProcessedWebhook
from shop.webhooks import InvalidSignature, record_webhook_once, sign, verify_signature

SECRET = "whsec_test_0123456789abcdef0123456789"
BODY = b'{"event_id": "evt_1"}'
NOW = 1_800_000_000


def header(timestamp=NOW, body=BODY, secret=SECRET):
    return sign(body, secret=secret, timestamp=timestamp)


def test_a_signed_body_verifies_and_names_its_digest():
    signature = verify_signature(header(), BODY, secret=SECRET, now=NOW + 299)

    assert signature.timestamp == NOW
    assert header() == f"t={NOW},v1={signature.digest}"
    assert len(signature.digest) == 64


def test_upper_case_hex_is_the_same_digest():
    t, digest = header().split(",v1=")

    signature = verify_signature(f"{t},v1={digest.upper()}", BODY, secret=SECRET, now=NOW)

    assert signature.digest == digest


MALFORMED = [
    None,
    "",
    f"t={'9' * 400},v1=x",  # the fuzzer's 500 (int -> float overflow), now a 400
    f"t={'9' * 400},v1={'a' * 64}",
    f"t={'9' * 13},v1={'a' * 64}",
    f"t=-{NOW},v1={'a' * 64}",
    f"t=1e9,v1={'a' * 64}",
    f"t= {NOW},v1={'a' * 64}",
    f"t={NOW},v1={'a' * 63}",
    f"t={NOW},v1={'g' * 64}",
    f"t={NOW},v1={'a' * 64},v1={'b' * 64}",
    f"v1={'a' * 64},t={NOW}",
    f"t={NOW}",
    f"t={NOW},v1=\u00e9\u00e9",
    f"t=\u0661\u0662\u0663,v1={'a' * 64}",  # Arabic-Indic digits: int() would take them
]


@pytest.mark.parametrize("value", MALFORMED)
def test_a_malformed_header_is_refused_as_malformed(value):
    with pytest.raises(InvalidSignature) as refused:
        verify_signature(value, BODY, secret=SECRET, now=NOW)

    assert refused.value.status_code == 400
    assert refused.value.detail == (
        "The Emporium-Signature header is malformed: expected "
        "t=<unix seconds, 1-12 digits>,v1=<64 hex digits>."
    )


@pytest.mark.parametrize(
    ("value", "now", "detail"),
    [
        (header(), NOW + 301, "The signature's time is more than 300 seconds away from ours."),
        (header(), NOW - 301, "The signature's time is more than 300 seconds away from ours."),
        (header(secret="other"), NOW, "The signature does not match the body."),
        (header(body=b"{}"), NOW, "The signature does not match the body."),
    ],
    ids=["too-old", "from-the-future", "wrong-secret", "other-body"],
)
def test_a_stale_or_wrong_signature_is_refused(value, now, detail):
    with pytest.raises(InvalidSignature) as refused:
        verify_signature(value, BODY, secret=SECRET, now=now)

    assert refused.value.detail == detail


def test_without_a_secret_every_call_is_refused():
    with pytest.raises(InvalidSignature, match="not configured"):
        verify_signature(header(secret=""), BODY, secret="", now=NOW)


def test_the_tolerance_defaults_to_300_seconds():
    verify_signature(header(timestamp=int(time.time()) - 290), BODY, secret=SECRET)
    with pytest.raises(InvalidSignature, match="300 seconds"):
        verify_signature(header(timestamp=int(time.time()) - 310), BODY, secret=SECRET)


@pytest.mark.django_db
def test_an_event_is_recorded_once_per_source():
    assert record_webhook_once("wms", "evt_1") is True
    assert record_webhook_once("wms", "evt_1") is False
    assert record_webhook_once("payments:dummy", "evt_1") is True

    assert sorted(ProcessedWebhook.objects.values_list("source", "event_key")) == [
        ("payments:dummy", "evt_1"),
        ("wms", "evt_1"),
    ]


@pytest.mark.django_db
def test_a_rolled_back_application_may_be_delivered_again():
    with pytest.raises(RuntimeError), transaction.atomic():
        assert record_webhook_once("wms", "evt_1") is True
        raise RuntimeError("the counts were refused")

    assert record_webhook_once("wms", "evt_1") is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("source", "key"), [("", "evt"), ("wms", ""), ("x" * 41, "e"), ("wms", "k" * 256)]
)
def test_an_empty_or_oversized_key_is_a_programming_error(source, key):
    with pytest.raises(ValueError):
        record_webhook_once(source, key)
    assert not ProcessedWebhook.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_event_apply_it_once():
    threads = 8
    barrier = threading.Barrier(threads)
    outcomes = []

    def deliver():
        try:
            barrier.wait(30)
            with transaction.atomic():
                outcomes.append(record_webhook_once("wms", "evt_race"))
        finally:
            connection.close()

    pool = [threading.Thread(target=deliver) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(30)

    assert sorted(outcomes) == [False] * (threads - 1) + [True]
    assert ProcessedWebhook.objects.count() == 1
