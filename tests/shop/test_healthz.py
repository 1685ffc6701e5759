import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_cache(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}


def test_healthz_is_503_naming_the_cache_when_it_is_down(client, monkeypatch):
    class DownCache:
        def set(self, *args, **kwargs):
            raise ConnectionError("redis is down")

    monkeypatch.setattr("shop.views.cache", DownCache())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unhealthy",
        "database": "ok",
        "cache": "down",
        "broker": "ok",
    }


def test_healthz_is_503_naming_the_broker_when_it_is_down(client, broker):
    broker("redis://127.0.0.1:1/0")  # nothing listens on port 1

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unhealthy",
        "database": "ok",
        "cache": "ok",
        "broker": "down",
    }


def test_healthz_is_503_naming_the_database_when_it_is_down(client, monkeypatch):
    class DownConnection:
        def cursor(self):
            raise ConnectionError("postgres is down")

    monkeypatch.setattr("shop.views.connection", DownConnection())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "down"
