from django.urls import path

from returns import views

app_name = "returns"

urlpatterns = [
    path("account/orders/<str:public_id>/return/", views.return_items, name="request"),
    path("account/returns/<str:public_id>/", views.return_detail, name="detail"),
    path("account/returns/<str:public_id>/label/", views.return_label, name="label"),
]
