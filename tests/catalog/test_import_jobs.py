"""A long admin import runs as a background job (Celery, eager in tests) with a status page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from catalog import tasks
from catalog.models import Product, VariantPrice
from shop import background
from shop.models import BackgroundJob, JobStatus
from tests.factories.shop import StaffFactory

pytestmark = pytest.mark.django_db

CSV = b"handle,title,sku,price_USD\nmug,Mug,MUG-1,9.50\ncup,Cup,CUP-1,4.00\n"
URL = "admin:catalog_product_import"


@pytest.fixture
def merch_client(client, merchandiser):
    client.force_login(merchandiser)
    return client


def text(response) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


def upload(client, data=CSV):
    file = SimpleUploadedFile("c.csv", data, content_type="text/csv")
    return client.post(reverse(URL), {"file": file, "format": "emporium"})


def test_confirming_runs_the_import_as_a_job_and_its_page_shows_the_result(
    merch_client, merchandiser
):
    preview = upload(merch_client)
    confirm = merch_client.post(
        reverse(URL), {**preview.context["confirm_form"].initial, "confirm": "1"}
    )
    job = BackgroundJob.objects.get()
    page = merch_client.get(reverse("admin:catalog_product_import_job", args=[job.public_id]))

    # The job finished within the request (eager tasks): back to the products with a message.
    assert confirm["Location"] == reverse("admin:catalog_product_changelist")
    assert job.public_id.startswith("job_")
    assert (job.kind, job.status, job.created_by, job.error) == (
        "catalog_import",
        JobStatus.SUCCEEDED,
        merchandiser,
        "",
    )
    assert job.result["summary"] == "2 created, 0 updated, 0 skipped, 0 warnings, 0 errors"
    assert (job.result["committed"], job.params["dry_run"]) == (True, False)
    assert page.status_code == 200
    assert "Imported: 2 created, 0 updated, 0 skipped, 0 warnings, 0 errors" in text(page)
    assert sorted(VariantPrice.objects.values_list("variant__sku", "amount_cents")) == [
        ("CUP-1", 400),
        ("MUG-1", 950),
    ]


def test_a_long_files_preview_is_a_job_too_whose_page_offers_the_confirmation(
    merch_client, settings
):
    settings.CATALOG_IMPORT_INLINE_BYTES = 10

    preview = upload(merch_client)
    page = merch_client.get(preview["Location"])
    confirm = merch_client.post(
        reverse(URL), {**page.context["confirm_form"].initial, "confirm": "1"}
    )

    assert preview.status_code == 302
    assert "Preview: 2 created, 0 updated, 0 skipped, 0 warnings, 0 errors" in text(page)
    assert confirm.status_code == 302
    assert [j.params["dry_run"] for j in BackgroundJob.objects.order_by("pk")] == [True, False]
    assert Product.objects.count() == 2


def test_a_preview_job_with_row_errors_shows_them_and_offers_no_confirmation(
    merch_client, settings
):
    settings.CATALOG_IMPORT_INLINE_BYTES = 10

    preview = upload(merch_client, b"handle,title,sku,price_USD\nmug,Mug,MUG-1,26,50\n")
    page = merch_client.get(preview["Location"])

    assert page.context["result"]["has_errors"] is True
    assert "confirm_form" not in page.context
    assert "Row 2 has 5 cells but the header names only 4." in text(page)
    assert Product.objects.count() == 0


def test_a_failing_job_is_marked_failed_with_its_error_and_the_page_says_so(
    merch_client, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(tasks, "import_catalog", broken)
    preview = upload(merch_client)

    confirm = merch_client.post(
        reverse(URL), {**preview.context["confirm_form"].initial, "confirm": "1"}
    )
    page = merch_client.get(confirm["Location"])

    job = BackgroundJob.objects.get()
    assert (job.status, job.error) == (JobStatus.FAILED, "RuntimeError: disk on fire")
    assert "The job stopped: RuntimeError: disk on fire" in text(page)
    assert Product.objects.count() == 0


def test_only_the_staff_who_started_a_job_see_its_page(merch_client):
    preview = upload(merch_client)
    confirm = merch_client.post(
        reverse(URL), {**preview.context["confirm_form"].initial, "confirm": "1"}
    )
    page = reverse(
        "admin:catalog_product_import_job", args=[BackgroundJob.objects.get().public_id]
    )
    other = Client()
    other.force_login(StaffFactory(email="other-merch@example.com", groups=["Merchandiser"]))

    assert (confirm.status_code, merch_client.get(page).status_code) == (302, 200)
    assert other.get(page).status_code == 404


def test_progress_of_a_running_job_is_read_from_the_cache(merchandiser):
    job = background.start_job(kind="catalog_import", params={}, created_by=merchandiser)
    BackgroundJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)

    background.report_progress(job, done=3000, total=100_000)
    seen = background.get_job(public_id=job.public_id, user=merchandiser)

    assert (seen.done, seen.total) == (3000, 100_000)
    assert BackgroundJob.objects.get(pk=job.pk).done == 0  # the row is written at the end
