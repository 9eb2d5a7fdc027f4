"""The customer's pages: dashboard, usage, downloads and on-demand reads (portal/pages)."""

from django.urls import path

from portal.bills import views as bill_views
from portal.pages import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("premises/<str:esiid>/usage/", views.usage, name="usage"),
    path("premises/<str:esiid>/usage/download.<str:fmt>", views.usage_download, name="usage_download"),
    path("premises/<str:esiid>/plan/", bill_views.plan, name="plan"),
    path("premises/<str:esiid>/green-button/", views.green_button, name="green_button"),
    path("premises/<str:esiid>/reads/", views.reads, name="reads"),
    path("premises/<str:esiid>/reads/<int:read_id>/", views.read_status, name="read_status"),
]
