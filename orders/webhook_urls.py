from django.urls import path

from orders.webhooks import payment_webhook

urlpatterns = [path("<str:gateway>", payment_webhook, name="payment-webhook")]
