"""Further /api/v1/ resources: on-demand reads, REP registration codes, bulk exports."""

from django.urls import path

from api import views_more as v

urlpatterns = [
    path("premises/<str:esiid>/reads/", v.ReadRequestView.as_view(), name="premise-reads"),
    path("reads/<int:read_id>/", v.ReadDetailView.as_view(), name="read-detail"),
    path(
        "premises/<str:esiid>/registration-code/",
        v.RegistrationCodeView.as_view(),
        name="registration-code",
    ),
    path("registration-codes/", v.RegistrationCodeFeedView.as_view(), name="registration-code-feed"),
    path("exports/", v.ExportListView.as_view(), name="export-list"),
    path("exports/<uuid:job_id>/", v.ExportDetailView.as_view(), name="export-detail"),
    path("exports/<uuid:job_id>/download/", v.ExportDownloadView.as_view(), name="export-download"),
]
