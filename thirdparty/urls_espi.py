"""ESPI ApplicationInformation and Authorization (thirdparty/espi.py), mounted under /espi/1_1/resource/ ahead of
the API's Connect My Data paths (smt/urls.py); everything else falls through to api.espi."""

from django.urls import path

from thirdparty import espi

urlpatterns = [
    path(
        "ApplicationInformation/<str:client_id>",
        espi.application_information,
        name="espi-applicationinformation",
    ),
    path("Authorization", espi.authorizations, name="espi-authorizations"),
    path("Authorization/<int:agreement_id>", espi.authorization, name="espi-authorization"),
]
