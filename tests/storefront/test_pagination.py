"""storefront.listing_page.page_links: the pagination's links are what Django's
`{% querystring page=n %}` writes for the same query, built without the tag per link."""

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from storefront import listing_page

QUERYSTRING = Template("{% querystring page=number %}")


def _tag(request, number: int) -> str:
    context = Context({"number": number}, autoescape=False)
    context.request = request  # what the tag reads, as a RequestContext carries it
    return QUERYSTRING.render(context)


@pytest.mark.parametrize(
    "path",
    [
        "/search?q=crew+tee",
        "/c/tees/",
        "/c/tees/?page=3&sort=price_asc",
        "/c/tees/?sort=newest&page=3&f_fit=slim&f_fit=relaxed",
        "/search?q=%C3%BCber%20caf%C3%A9+%26+co&page=12",
        "/search?page=2&page=5&q=tee",
    ],
)
def test_the_links_are_what_the_querystring_tag_writes(path):
    request = RequestFactory().get(path)
    number = 3
    page = listing_page.paginate(30 * listing_page.PER_PAGE, number)

    links = listing_page.page_links(request.GET, page)

    assert links["previous"] == _tag(request, number - 1)
    assert links["next"] == _tag(request, number + 1)
    shown = [link for link in links["pages"] if link["number"] and not link["current"]]
    assert shown and all(link["href"] == _tag(request, link["number"]) for link in shown)
    assert [link["number"] for link in links["pages"]] == [1, 2, 3, 4, 5, 6, None, 29, 30]
    assert [link["number"] for link in links["pages"] if link["current"]] == [3]
    assert shown[0]["label"] == "Page 1"


def test_one_page_has_no_links_and_the_first_and_last_have_no_way_past_them():
    query = RequestFactory().get("/c/tees/").GET

    assert listing_page.page_links(query, listing_page.paginate(5, 1)) is None
    first = listing_page.page_links(query, listing_page.paginate(100, 1))
    last = listing_page.page_links(query, listing_page.paginate(100, 5))
    assert first["previous"] == "" and first["next"] == "?page=2"
    assert last["previous"] == "?page=4" and last["next"] == ""
