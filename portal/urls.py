from django.urls import include, path

from portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("providers/", views.provider_search, name="provider_search"),
    path("", include("portal.pages.urls")),  # dashboard, usage, downloads, on-demand reads
]
