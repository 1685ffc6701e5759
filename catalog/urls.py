from django.urls import path

from catalog import views

app_name = "catalog"
urlpatterns = [
    path("c/<path:path>/", views.category_detail, name="category"),
    path("search", views.search, name="search"),
    path("search/", views.search),
    path("p/<slug:handle>/", views.product_detail, name="product"),
]
