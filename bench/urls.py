from django.urls import include, path

from bench.baseline import BaselineReadings

urlpatterns = [
    path("bench/baseline/premises/<str:esiid>/readings/", BaselineReadings.as_view()),
    path("", include("smt.urls")),
]
