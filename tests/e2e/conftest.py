import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def login(page, live_server, password):
    """Log a user into the admin in the browser page."""

    def _login(user):
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", user.email)
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")

    return _login
