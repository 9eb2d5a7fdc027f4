from django.urls import include, path

from portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("providers/", views.provider_search, name="provider_search"),
    path("", include("portal.pages.urls")),
    path("", include("portal.alerts.urls")),  # alert settings, one-click unsubscribe
    path(
        "", include("portal.portfolio.urls")
    ),  # business customers' portfolio and combined download  # dashboard, usage, downloads, on-demand reads
]
