"""URLs of the API: /api/v1/ (REST), /api/schema/ and /api/docs/ (OpenAPI), /espi/1_1/resource/ (Green Button)."""

from django.urls import include, path, re_path

from api.base import NotFoundView
from api.views import codes, docs, exports, han, intervals, premises, problems, reads, root

v1 = (
    [
        path("", root.ApiRootView.as_view(), name="root"),
        path("me/", root.MeView.as_view(), name="me"),
        path("premises/", premises.PremiseListView.as_view(), name="premise-list"),
        path("premises/<str:esiid>/", premises.PremiseDetailView.as_view(), name="premise-detail"),
        path("premises/<str:esiid>/intervals/", intervals.IntervalsView.as_view(), name="premise-intervals"),
        path(
            "premises/<str:esiid>/billing-periods/",
            premises.BillingPeriodsView.as_view(),
            name="premise-billing-periods",
        ),
        path("premises/<str:esiid>/summary/", premises.SummaryView.as_view(), name="premise-summary"),
        path("premises/<str:esiid>/reads/", reads.ReadRequestView.as_view(), name="premise-reads"),
        path("reads/<int:read_id>/", reads.ReadDetailView.as_view(), name="read-detail"),
        path("premises/<str:esiid>/devices/", han.PremiseDevicesView.as_view(), name="premise-devices"),
        path(
            "premises/<str:esiid>/devices/messages/",
            han.PremiseMessagesView.as_view(),
            name="premise-messages",
        ),
        path("devices/<int:device_id>/", han.DeviceDetailView.as_view(), name="device-detail"),
        path("devices/<int:device_id>/retry/", han.DeviceRetryView.as_view(), name="device-retry"),
        path("devices/<int:device_id>/messages/", han.DeviceMessagesView.as_view(), name="device-messages"),
        path(
            "premises/<str:esiid>/registration-code/",
            codes.RegistrationCodeView.as_view(),
            name="registration-code",
        ),
        path("registration-codes/", codes.RegistrationCodeFeedView.as_view(), name="registration-code-feed"),
        path("exports/", exports.ExportListView.as_view(), name="export-list"),
        path("exports/<uuid:job_id>/", exports.ExportDetailView.as_view(), name="export-detail"),
        path("exports/<uuid:job_id>/download/", exports.ExportDownloadView.as_view(), name="export-download"),
        re_path(
            r"^[\s\S]*$", NotFoundView.as_view(), name="not-found"
        ),  # last: anything else is a problem document
    ],
    "api",
)

urlpatterns = [
    path("api/v1/", include(v1)),
    path("api/problems/", problems.problem_types, name="api-problem-types"),
    path("api/problems/<slug:slug>", problems.problem_type_page, name="api-problem-type"),
    path("api/schema/", docs.SchemaView.as_view(), name="api-schema"),
    path("api/docs/", docs.DocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", docs.RedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("espi/1_1/resource/", include("api.espi.urls")),
    path(
        "", include("api.smtcompat.urls")
    ),  # the Smart Meter Texas client's paths (docs/smt-compatibility.md)
]
