from django.urls import path

from catalog.api import views

app_name = "catalog-api"
urlpatterns = [
    path("products", views.ProductCollectionApi.as_view(), name="products"),
    path("products/<str:handle>", views.ProductResourceApi.as_view(), name="product"),
    path("products/<str:handle>/variants", views.VariantCreateApi.as_view(), name="variants"),
    path(
        "products/<str:handle>/variants/<str:sku>",
        views.VariantUpdateApi.as_view(),
        name="variant",
    ),
]
