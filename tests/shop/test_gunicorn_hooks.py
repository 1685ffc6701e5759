"""shop/gunicorn.py: the multiprocess metrics directory is emptied when gunicorn starts and an
exited worker is marked dead; without PROMETHEUS_MULTIPROC_DIR the hooks do nothing."""

from types import SimpleNamespace

from shop import gunicorn


def test_on_starting_empties_the_metrics_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "histogram_123.db").write_bytes(b"old run")

    gunicorn.on_starting(server=None)

    assert list((tmp_path / "metrics").iterdir()) == []


def test_child_exit_marks_the_worker_dead(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    (tmp_path / "gauge_livesum_4242.db").write_bytes(b"live gauge of the dead worker")
    (tmp_path / "histogram_4242.db").write_bytes(b"kept: its requests still count")

    gunicorn.child_exit(server=None, worker=SimpleNamespace(pid=4242))

    assert sorted(p.name for p in tmp_path.iterdir()) == ["histogram_4242.db"]


def test_without_the_variable_the_hooks_do_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.chdir(tmp_path)

    gunicorn.on_starting(server=None)
    gunicorn.child_exit(server=None, worker=SimpleNamespace(pid=1))

    assert list(tmp_path.iterdir()) == []
