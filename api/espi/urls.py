"""Green Button Connect My Data under /espi/1_1/resource/ (ESPI 1.1 REST paths): the application's own
ApplicationInformation and Authorization resources, then the subscription data, then a problem document for
anything else."""

from django.urls import path, re_path

from api.base import NotFoundView
from api.espi import authorization
from api.espi import views as v

S = "Subscription/<int:sid>"
UP = f"{S}/UsagePoint/<str:esiid>"
urlpatterns = [
    path(
        "ApplicationInformation/<str:client_id>",
        authorization.application_information,
        name="espi-applicationinformation",
    ),
    path("Authorization", authorization.authorizations, name="espi-authorizations"),
    path("Authorization/<int:agreement_id>", authorization.authorization, name="espi-authorization"),
    path("Batch/Subscription/<int:sid>", v.BatchSubscriptionView.as_view(), name="espi-batch-subscription"),
    path(
        "Batch/Subscription/<int:sid>/UsagePoint/<str:esiid>",
        v.BatchUsagePointView.as_view(),
        name="espi-batch-usagepoint",
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
