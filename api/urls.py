"""URLs of the API: /api/v1/ (REST), /api/schema/ and /api/docs/ (OpenAPI), /espi/1_1/resource/ (Green Button)."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from api import throttling, views
from api.base import NotFoundView


class _Counted:
    """The docs and schema count against the client's IP limit and carry the RateLimit headers too."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        states, _ = throttling.count([("ip", throttling.client_ip(request))])
        for k, v in throttling.headers_for(states).items():
            response[k] = v
        return response


class SchemaView(_Counted, SpectacularAPIView):
    pass


class DocsView(_Counted, SpectacularSwaggerSplitView):
    pass


class RedocView(_Counted, SpectacularRedocView):
    pass


v1 = (
    [
        path("", views.ApiRootView.as_view(), name="root"),
        path("me/", views.MeView.as_view(), name="me"),
        path("premises/", views.PremiseListView.as_view(), name="premise-list"),
        path("premises/<str:esiid>/", views.PremiseDetailView.as_view(), name="premise-detail"),
        path("premises/<str:esiid>/intervals/", views.IntervalsView.as_view(), name="premise-intervals"),
        path(
            "premises/<str:esiid>/billing-periods/",
            views.BillingPeriodsView.as_view(),
            name="premise-billing-periods",
        ),
        path("premises/<str:esiid>/summary/", views.SummaryView.as_view(), name="premise-summary"),
        path("", include("api.urls_more")),
        re_path(r"^.*$", NotFoundView.as_view(), name="not-found"),
    ],
    "api",
)

urlpatterns = [
    path("api/v1/", include(v1)),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", RedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("espi/1_1/resource/", include("api.espi.urls")),
]
