from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from shop import views
from shop.api import docs
from shop.api.errors import api_404

admin.site.site_header = "Emporium back office"
admin.site.site_title = "Emporium"
admin.site.index_title = "Catalog, stock, orders and returns"

api_v1 = [
    path("", include("shop.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("inventory.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("returns.api.urls")),
]

urlpatterns = [
    # The customer-facing pages (home, listings, search, product, cart, checkout) first: they
    # are most of the traffic, and Django tries the patterns in order on every request. No
    # pattern below matches any of their paths.
    path("", include("storefront.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", docs.swagger_ui, name="api-docs"),
    path("api/redoc/", docs.redoc, name="api-redoc"),
    re_path(r"^api/", api_404, name="api-not-found"),  # JSON, never the HTML 404 page
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics, name="metrics"),
    path("webhooks/wms", include("inventory.webhook_urls")),
    path("webhooks/payments/", include("orders.webhook_urls")),
    # The project URLconf is the one place that composes every app: accounts are the shop's,
    # returns the returns app's, the customer-facing pages (above) the storefront's.
    path("", include("shop.account_urls")),
    path("", include("returns.urls")),
]

# Unhandled exceptions: JSON `{"code": "server_error", ...}` under /api/, else templates/500.html.
handler500 = views.server_error

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
