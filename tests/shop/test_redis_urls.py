"""A shop that shares its host with Redis may reach it over a Unix socket (docs/deployment.md
"One host"): REDIS_URL in redis-py's spelling serves the cache, Celery's broker (kombu's
spelling) and the queue caps alike."""

import shutil
import subprocess
import time

import pytest

from shop.redis_urls import broker_url, client_url
from tests.shop.test_settings import PRODUCTION, _run


@pytest.mark.parametrize(
    ("redis_url", "expected"),
    [
        ("redis://127.0.0.1:6379/1", "redis://127.0.0.1:6379/1"),
        ("rediss://:secret@cache.internal:6380/2", "rediss://:secret@cache.internal:6380/2"),
        ("unix:///run/redis/redis.sock", "redis+socket:///run/redis/redis.sock"),
        (
            "unix:///run/redis/redis.sock?db=3",
            "redis+socket:///run/redis/redis.sock?virtual_host=3",
        ),
        (
            "unix://:p%40ss@/run/redis/redis.sock?db=2&health_check_interval=5",
            "redis+socket://:p%40ss@/run/redis/redis.sock?virtual_host=2&health_check_interval=5",
        ),
    ],
)
def test_the_broker_url_is_kombus_spelling_of_the_same_redis(redis_url, expected):
    assert broker_url(redis_url) == expected
    assert client_url(expected) == redis_url


@pytest.mark.parametrize("url", ["memory://", "amqp://guest@127.0.0.1//", "", "sqs://"])
def test_a_broker_that_is_not_redis_has_no_redis_client_url(url):
    assert client_url(url) is None


@pytest.fixture
def socket_redis(tmp_path):
    server = shutil.which("redis-server")
    assert server, "redis-server is installed by .ci/prepare (make test)"
    path = tmp_path / "redis.sock"
    process = subprocess.Popen(
        [server, "--port", "0", "--unixsocket", str(path), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if path.exists():
                break
            time.sleep(0.05)
        yield path
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_shop_on_a_redis_unix_socket_caches_queues_tasks_and_reads_their_depth(socket_redis):
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.core.cache import cache\n"
        "from shop import queues\n"
        "from shop.celery import app\n"
        "from shop.tasks import send_email\n"
        "cache.set('socket-check', 'kept')\n"
        "mail = {'subject': 'S', 'body': 'B', 'to': ['x@example.com']}\n"
        "send_email.apply_async(kwargs=mail, queue='mail')\n"
        "print(settings.CELERY_BROKER_URL, cache.get('socket-check'), queues.broker_answers(),"
        " queues.read_depths()['mail'])\n"
    )

    result = _run(["-c", code], **{**PRODUCTION, "REDIS_URL": f"unix://{socket_redis}?db=4"})

    assert result.returncode == 0, result.stderr
    broker, cached, answers, mail_depth = result.stdout.split()
    assert broker == f"redis+socket://{socket_redis}?virtual_host=4"
    assert (cached, answers, mail_depth) == ("kept", "True", "1")
