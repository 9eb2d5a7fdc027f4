"""The Devices pages (portal, for customers and household members)."""

from django.urls import path

from han import views

app_name = "han"

urlpatterns = [
    path("premises/<str:esiid>/devices/", views.devices, name="devices"),
    path("premises/<str:esiid>/devices/status.json", views.devices_status, name="devices_status"),
    path("premises/<str:esiid>/devices/<int:device_id>/", views.device_history, name="device_history"),
    path("premises/<str:esiid>/devices/<int:device_id>/retry/", views.device_retry_view, name="device_retry"),
    path(
        "premises/<str:esiid>/devices/<int:device_id>/remove/", views.device_remove_view, name="device_remove"
    ),
    path(
        "premises/<str:esiid>/devices/<int:device_id>/test-message/",
        views.device_test_message,
        name="device_test_message",
    ),
]
