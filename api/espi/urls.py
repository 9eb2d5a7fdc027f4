"""Green Button Connect My Data resources (ESPI 1.1 REST paths)."""

from django.urls import re_path

from api.base import NotFoundView

urlpatterns = [re_path(r"^.*$", NotFoundView.as_view(), name="espi-not-found")]
