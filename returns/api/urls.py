from django.urls import path

from returns.api import views

app_name = "returns-api"

urlpatterns = [
    path("returns", views.ReturnCollectionApi.as_view(), name="returns"),
    path("returns/<str:rma_id>", views.ReturnDetailApi.as_view(), name="return"),
    path("returns/<str:rma_id>/label", views.ReturnLabelApi.as_view(), name="return-label"),
    path("returns/<str:rma_id>/approve", views.ReturnApproveApi.as_view(), name="return-approve"),
    path("returns/<str:rma_id>/reject", views.ReturnRejectApi.as_view(), name="return-reject"),
    path("returns/<str:rma_id>/receive", views.ReturnReceiveApi.as_view(), name="return-receive"),
    path("returns/<str:rma_id>/inspect", views.ReturnInspectApi.as_view(), name="return-inspect"),
    path("returns/<str:rma_id>/refund", views.ReturnRefundApi.as_view(), name="return-refund"),
]
