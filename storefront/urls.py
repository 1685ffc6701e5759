from django.urls import path

from storefront import views

# Global names like the accounts' (`login`, `account`): `home` is the site root every page
# links to, `category`, `search` and `product` the storefront pages.
urlpatterns = [
    path("", views.home, name="home"),
    path("c/<path:path>/", views.category_detail, name="category"),
    path("search", views.search, name="search"),
    path("search/", views.search),
    path("p/<slug:handle>/", views.product_detail, name="product"),
]
