from django.urls import path

from inventory.api import views

app_name = "inventory-api"

urlpatterns = [
    path("inventory/atp", views.InventoryAtpApi.as_view(), name="atp"),
    path(
        "inventory/adjustments", views.InventoryAdjustmentCreateApi.as_view(), name="adjustments"
    ),
    path("inventory/levels", views.InventoryLevelsSyncApi.as_view(), name="levels"),
]
