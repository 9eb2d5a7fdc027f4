"""The e-mails a resident gets about the apps they share data with (receipt, expiry warning, end) go out in the
resident's saved language, subject included; the app's and company's names stay as they wrote them."""

import re
from datetime import timedelta

import pytest
from django.core import mail

from tests.portal.test_spanish_mail import spanish
from thirdparty.models import Agreement
from thirdparty.services.agreements import agreement_revoke, agreements_warn_expiring

from .consent_fixtures import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def granted_es(client, django_capture_on_commit_callbacks, alice, premise_a, app):
    alice.language = "es"
    alice.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        token_for(client, app, alice, scope="usage:read premises:read")
    return Agreement.objects.get()


def test_the_receipt_the_warning_and_the_end_are_in_spanish(
    granted_es, alice, settings, django_capture_on_commit_callbacks
):
    receipt = spanish(next(m for m in mail.outbox if m.to == [alice.email]))
    assert receipt.subject == "[Open SMT] Usted compartió sus datos con WattWise"
    assert "Este es su comprobante" in receipt.body and "WattWise Inc." in receipt.body
    assert re.search(r"Historial desde: \d{1,2} de [a-z]+ de \d{4}", receipt.body), receipt.body
    mail.outbox.clear()
    soon = granted_es.valid_until - timedelta(days=settings.AGREEMENT_EXPIRY_WARNING_DAYS - 1)
    with django_capture_on_commit_callbacks(execute=True):
        agreements_warn_expiring(now=soon)
    warning = spanish(mail.outbox[-1])
    assert re.fullmatch(
        r"\[Open SMT\] El acceso de WattWise a sus datos termina el \d{1,2} de [a-z]+", warning.subject
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        agreement_revoke(agreement=granted_es, by=alice)
    ended = spanish(next(m for m in mail.outbox if m.to == [alice.email]))
    assert ended.subject == "[Open SMT] WattWise ya no puede leer sus datos"
    assert "Motivo: Revocada por el cliente." in ended.body
