"""Green Button Connect My Data under /espi/1_1/resource/ (ESPI 1.1 REST paths): the application's own
ApplicationInformation and Authorization resources, then the subscription data, then a problem document for
anything else."""

from django.urls import path, re_path

from api.base import NotFoundView
from api.espi import authorization
from api.espi import views as v
from thirdparty.oauthlimit import client_secret_limited

S = "Subscription/<int:sid>"
UP = f"{S}/UsagePoint/<str:esiid>"
urlpatterns = [
    path(
        "ApplicationInformation/<str:client_id>",
        client_secret_limited(authorization.application_information),
        name="espi-applicationinformation",
    ),
    # HTTP Basic here hashes a client secret: the OAuth endpoints' limits apply first (thirdparty/oauthlimit.py)
    path("Authorization", client_secret_limited(authorization.authorizations), name="espi-authorizations"),
    path(
        "Authorization/<int:agreement_id>",
        client_secret_limited(authorization.authorization),
        name="espi-authorization",
    ),
    path("Batch/Subscription/<int:sid>", v.BatchSubscriptionView.as_view(), name="espi-batch-subscription"),
    path(
        "Batch/Subscription/<int:sid>/UsagePoint/<str:esiid>",
        v.BatchUsagePointView.as_view(),
        name="espi-batch-usagepoint",
    ),
    path("Batch/Bulk/<int:bulk_id>", v.BatchBulkView.as_view(), name="espi-batch-bulk"),
    path(
        "Batch/RetailCustomer/<int:customer_id>/UsagePoint",
        v.BatchRetailCustomerView.as_view(),
        name="espi-batch-retailcustomer",
    ),
    path(f"{S}/UsagePoint", v.UsagePointsView.as_view(), name="espi-usagepoints"),
    path(UP, v.UsagePointView.as_view(), name="espi-usagepoint"),
    path(f"{UP}/MeterReading", v.MeterReadingsView.as_view(), name="espi-meterreadings"),
    path(f"{UP}/MeterReading/<str:mr>", v.MeterReadingView.as_view(), name="espi-meterreading"),
    path(
        f"{UP}/MeterReading/<str:mr>/IntervalBlock",
        v.IntervalBlocksView.as_view(),
        name="espi-intervalblocks",
    ),
    path(
        f"{UP}/MeterReading/<str:mr>/IntervalBlock/<str:ib>",
        v.IntervalBlockView.as_view(),
        name="espi-intervalblock",
    ),
    path(f"{UP}/UsageSummary", v.UsageSummariesView.as_view(), name="espi-usagesummaries"),
    path(f"{UP}/UsageSummary/<str:us>", v.UsageSummaryView.as_view(), name="espi-usagesummary"),
    path("ReadingType/<str:rt>", v.ReadingTypeView.as_view(), name="espi-readingtype"),
    path("LocalTimeParameters/<str:ltp>", v.LocalTimeParametersView.as_view(), name="espi-ltp"),
    path("ReadServiceStatus", v.ReadServiceStatusView.as_view(), name="espi-readservicestatus"),
    re_path(r"^[\s\S]*$", NotFoundView.as_view(), name="espi-not-found"),
]
