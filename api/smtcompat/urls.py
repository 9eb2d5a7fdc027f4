"""The paths the unmodified Smart Meter Texas client posts to, on the same host as everything else."""

from django.urls import path

from api.smtcompat import views

urlpatterns = [
    path("commonapi/user/authenticate", views.authenticate, name="smtcompat-authenticate"),
    path("api/meter", views.meters, name="smtcompat-meter"),
    path("api/usage/latestodrread", views.latest_read, name="smtcompat-latest-read"),
    path("api/ondemandread", views.ondemand_read, name="smtcompat-ondemand-read"),
    path("api/adhoc/intervalsynch", views.interval_synch, name="smtcompat-interval-synch"),
]
