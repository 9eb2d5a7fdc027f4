"""Alert settings and one-click unsubscribe (portal.alerts)."""

from django.urls import path

from portal.alerts import views

urlpatterns = [
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/premises/<str:esiid>/", views.alert_settings, name="alert_settings"),
    path("alerts/unsubscribe/<str:token>/", views.alert_unsubscribe_view, name="alert_unsubscribe"),
]
