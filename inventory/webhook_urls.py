from django.urls import path

from inventory.webhooks import wms_webhook

urlpatterns = [path("", wms_webhook, name="wms-webhook")]
