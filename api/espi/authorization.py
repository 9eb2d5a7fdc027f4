"""Green Button Connect My Data: the ``ApplicationInformation`` and ``Authorization`` resources.

``/espi/1_1/resource/ApplicationInformation/{client_id}``  the registration of the calling application
``/espi/1_1/resource/Authorization``                       its authorizations (one per agreement), a feed
``/espi/1_1/resource/Authorization/{agreement_id}``        one authorization

The caller is the application itself: HTTP Basic with its client credentials (every authorization of the
application), or a customer's bearer token (only that token's own authorization: never another customer's).
An Authorization is our Agreement: ``status`` 1 while it is live, 0 once it ended; ``resourceURI`` is its
subscription (``Batch/Subscription/{agreement_id}``, the same id the Connect My Data data paths use).
Secrets and tokens are never echoed (the schema requires ``client_secret``; it says where to find it).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from urllib.parse import unquote_plus
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db.models import Max
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from api.authentication import bearer_challenge
from thirdparty import access
from thirdparty.models import AccessToken, Agreement, Application, Organization
from usage.writers.espi import ATOM_NS, ESPI_NS, atom_entry, atom_link, atom_time, resource_uuid

ATOM = "application/atom+xml"


def _base() -> str:
    return settings.SITE_URL.rstrip("/")


def _problem(status: int, title: str, detail: str, *, bearer_error: str | None = None) -> JsonResponse:
    response = JsonResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status=status,
        content_type="application/problem+json",
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="espi", ' + bearer_challenge("espi", bearer_error)
    return response


@dataclass(frozen=True)
class Caller:
    """The application calling, and with a customer's token the one agreement that token stands for."""

    app: Application
    agreement_id: int | None = None


def _calling_application(request) -> tuple[Caller | None, str | None]:
    """(the caller, None) or (None, why a presented bearer token was refused: RFC 6750 invalid_token)."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    scheme = scheme.lower()
    if scheme == "basic":
        try:
            client_id, _, secret = base64.b64decode(value).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None, None
        app = (
            Application.objects.select_related("organization")
            .filter(client_id=unquote_plus(client_id))
            .first()
        )
        if app is None or not check_password(unquote_plus(secret), app.client_secret):
            return None, None
        return Caller(app), None
    if scheme == "bearer" and value:
        token = (
            AccessToken.objects.select_related("application__organization", "agreement__organization")
            .filter(token_checksum=hashlib.sha256(value.strip().encode("utf-8")).hexdigest())
            .first()
        )
        if token is None:
            return None, "This access token is not valid: it was revoked or never issued. Get a new one."
        if token.is_expired():
            return None, "This access token has expired; use your refresh token to get a new one."
        app = access.metadata_application(token)  # a customer's live agreement, or the app's own token
        if app is None:
            return None, "The agreement behind this token has ended."
        return Caller(app, token.agreement_id), None
    return None, None


def _authenticate(request) -> Caller | JsonResponse:
    """The caller, or the 401/403 problem to answer."""
    caller, bearer_error = _calling_application(request)
    if caller is None:
        return _problem(
            401,
            "Not authenticated",
            bearer_error or gettext("Send the application's client credentials or a token."),
            bearer_error=bearer_error,
        )
    org = caller.app.organization
    if org is None or org.status != Organization.Status.APPROVED:
        return _problem(
            403, "Organization not approved", gettext("The application's organization is not approved.")
        )
    return caller


def _epoch(moment) -> int:
    return int(moment.timestamp())


def _entry(
    *, uid: str, title: str, self_href: str, up_href: str, kind: str, content: str, published, updated
) -> str:
    """One Atom entry, written by the same function as every other ESPI entry."""
    links = [
        atom_link("self", escape(self_href), f"espi-entry/{kind}"),
        atom_link("up", escape(up_href), f"espi-feed/{kind}"),
    ]
    return atom_entry(uid, title, links, content, _epoch(published), _epoch(updated)).decode("utf-8")


def application_information_xml(app: Application) -> str:
    base = _base()
    org = app.organization
    redirect = "".join(f"<redirect_uri>{escape(u)}</redirect_uri>" for u in app.redirect_uris.split())
    scopes = "".join(f"<scope>{escape(s)}</scope>" for s in (app.allowed_scopes or []))
    optional = ""
    if app.description:
        optional += f"<thirdPartyApplicationDescription>{escape(app.description[:256])}</thirdPartyApplicationDescription>"
    content = (
        f'<ApplicationInformation xmlns="{ESPI_NS}">'
        f"<dataCustodianId>open-smart-meter-texas</dataCustodianId>"
        f"<dataCustodianApplicationStatus>{2 if org.status == Organization.Status.APPROVED else 1}</dataCustodianApplicationStatus>"
        f"{optional}"
        f"<thirdPartyNotifyUri>{escape(app.webhook_url or base + '/developers/webhooks/')}</thirdPartyNotifyUri>"
        f"<authorizationServerAuthorizationEndpoint>{base}/o/authorize/</authorizationServerAuthorizationEndpoint>"
        f"<authorizationServerTokenEndpoint>{base}/o/token/</authorizationServerTokenEndpoint>"
        f"<dataCustodianBulkRequestURI>{base}/espi/1_1/resource/Batch/Bulk/{app.pk}</dataCustodianBulkRequestURI>"
        f"<dataCustodianResourceEndpoint>{base}/espi/1_1/resource</dataCustodianResourceEndpoint>"
        f"<client_secret>(stored hashed; shown once at registration or rotation)</client_secret>"
        + (f"<logo_uri>{base}/developers/logos/{org.pk}/</logo_uri>" if org.logo else "")
        + f"<client_name>{escape(app.name[:256])}</client_name>"
        + (f"<client_uri>{escape(org.website)}</client_uri>" if org.website else "")
        + redirect
        + f"<client_id>{escape(app.client_id)}</client_id>"
        + (f"<policy_uri>{escape(org.privacy_policy_url)}</policy_uri>" if org.privacy_policy_url else "")
        + f"<software_id>{escape(app.client_id)}</software_id><software_version>1</software_version>"
        f"<client_id_issued_at>{_epoch(app.created)}</client_id_issued_at>"
        f"<client_secret_expires_at>0</client_secret_expires_at>"
        f"<contacts>{escape(org.contact_email)}</contacts>"
        f"<token_endpoint_auth_method>client_secret_basic</token_endpoint_auth_method>"
        f"{scopes}"
        f"<grant_types>authorization_code</grant_types><grant_types>refresh_token</grant_types>"
        f"<response_types>code</response_types>"
        f"<registration_client_uri>{base}/developers/apps/{app.pk}/</registration_client_uri>"
        f"<registration_access_token>(not used: manage the application at registration_client_uri)</registration_access_token>"
        f"</ApplicationInformation>"
    )
    return _entry(
        uid=resource_uuid("ApplicationInformation", app.client_id),
        title=app.name,
        self_href=f"{base}/espi/1_1/resource/ApplicationInformation/{app.client_id}",
        up_href=f"{base}/espi/1_1/resource/ApplicationInformation",
        kind="ApplicationInformation",
        content=content,
        published=app.created,
        updated=app.updated,
    )


def _token_expires_at(agreement: Agreement) -> int:
    """``expires_at``: when the newest access token of the agreement expires (ESPI: the token's expiry);
    the agreement's end while no token was issued yet. ``token_expires`` when annotated (the feed)."""
    if hasattr(agreement, "token_expires"):
        expires = agreement.token_expires
    else:
        expires = AccessToken.objects.filter(agreement=agreement).aggregate(m=Max("expires"))["m"]
    return _epoch(expires or agreement.valid_until)


def authorization_xml(agreement: Agreement) -> str:
    base = _base()
    live = agreement.is_live()
    # publishedPeriod: the data the third party may really read, never before the customer's move-in
    history_start = timezone.datetime.combine(
        access.agreement_data_start(agreement),
        timezone.datetime.min.time(),
        tzinfo=timezone.get_default_timezone(),
    )
    end = agreement.valid_until if live else (agreement.status_changed_at or agreement.valid_until)
    scope = " ".join(agreement.scopes)
    content = (
        f'<Authorization xmlns="{ESPI_NS}">'
        f"<authorizedPeriod><duration>{max(0, _epoch(end) - _epoch(agreement.valid_from))}</duration>"
        f"<start>{_epoch(agreement.valid_from)}</start></authorizedPeriod>"
        f"<publishedPeriod><duration>{max(0, _epoch(end) - _epoch(history_start))}</duration>"
        f"<start>{_epoch(history_start)}</start></publishedPeriod>"
        f"<status>{1 if live else 0}</status>"
        f"<expires_at>{_token_expires_at(agreement)}</expires_at>"
        f"<grant_type>authorization_code</grant_type>"
        f"<scope>{escape(scope[:256])}</scope>"
        f"<token_type>Bearer</token_type>"
        f"<resourceURI>{base}/espi/1_1/resource/Batch/Subscription/{agreement.pk}</resourceURI>"
        f"<authorizationURI>{base}/espi/1_1/resource/Authorization/{agreement.pk}</authorizationURI>"
        f"</Authorization>"
    )
    return _entry(
        uid=resource_uuid("Authorization", agreement.pk),
        title=f"Authorization {agreement.pk}",
        self_href=f"{base}/espi/1_1/resource/Authorization/{agreement.pk}",
        up_href=f"{base}/espi/1_1/resource/Authorization",
        kind="Authorization",
        content=content,
        published=agreement.created_at,
        updated=agreement.status_changed_at or agreement.created_at,
    )


def _atom(body: str) -> HttpResponse:
    """An Atom response; it depends on who asks (smt.compression adds Accept-Encoding to Vary)."""
    response = HttpResponse(body.encode("utf-8"), content_type=ATOM)
    response["Cache-Control"] = "private, no-store"
    patch_vary_headers(response, ("Accept", "Authorization"))
    return response


def _document(entry: str) -> HttpResponse:
    return _atom(
        "<?xml version='1.0' encoding='UTF-8'?>\n" + entry.replace("<entry>", f'<entry xmlns="{ATOM_NS}">', 1)
    )


@require_GET
def application_information(request, client_id: str):
    caller = _authenticate(request)
    if isinstance(caller, JsonResponse):
        return caller
    if caller.app.client_id != client_id:
        return _problem(
            404, "Not found", gettext("No ApplicationInformation with this id is available to you.")
        )
    return _document(application_information_xml(caller.app))


@require_GET
def authorizations(request):
    caller = _authenticate(request)
    if isinstance(caller, JsonResponse):
        return caller
    app = caller.app
    agreements = (
        access.espi_authorizations_visible(application=app, agreement_id=caller.agreement_id)
        .prefetch_related("premises__service_period")
        .annotate(token_expires=Max("access_tokens__expires"))
    )
    base = _base()
    now = timezone.now()
    body = (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        f'<feed xmlns="{ATOM_NS}"><id>urn:uuid:{resource_uuid("Authorization-feed", app.client_id)}</id>'
        f"<title>Authorizations of {escape(app.name)}</title><updated>{atom_time(_epoch(now))}</updated>"
        f'<link rel="self" href="{base}/espi/1_1/resource/Authorization" type="espi-feed/Authorization"/>'
        + "".join(authorization_xml(a) for a in agreements)
        + "</feed>"
    )
    return _atom(body)


@require_GET
def authorization(request, agreement_id: int):
    caller = _authenticate(request)
    if isinstance(caller, JsonResponse):
        return caller
    visible = access.espi_authorizations_visible(application=caller.app, agreement_id=caller.agreement_id)
    agreement = visible.filter(pk=agreement_id).first()
    if agreement is None:
        return _problem(404, "Not found", gettext("No Authorization with this id is available to you."))
    return _document(authorization_xml(agreement))
