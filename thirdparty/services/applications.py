"""OAuth applications registered by approved organizations: exact redirect URIs, a secret shown once."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from oauth2_provider.generators import generate_client_secret

from thirdparty.credential_mail import credential_created_notify
from thirdparty.models import Application, Organization, WebhookEndpoint, webhook_secret_generate
from thirdparty.oauth import redirect_uri_is_safe
from thirdparty.scopes import scopes_validate
from thirdparty.webhooks.delivery import webhook_endpoint_for


def _clean_uris(redirect_uris) -> list[str]:
    if isinstance(redirect_uris, str):
        redirect_uris = redirect_uris.split()
    uris = [u.strip() for u in redirect_uris if u.strip()]
    if not uris:
        raise ValidationError({"redirect_uris": "Give at least one redirect URI."})
    bad = [u for u in uris if not redirect_uri_is_safe(u)]
    if bad:
        raise ValidationError(
            {
                "redirect_uris": f"{bad[0]} is not allowed: redirect URIs must be https "
                "(http only for localhost or 127.0.0.1) and have no #fragment."
            }
        )
    return list(dict.fromkeys(uris))


def _clean_webhook_url(url: str) -> str:
    url = (url or "").strip()
    if url and not redirect_uri_is_safe(url):
        raise ValidationError({"webhook_url": "The webhook URL must be https (http only for localhost)."})
    return url


def _clean_scopes(scopes) -> list[str]:
    try:
        cleaned = scopes_validate(scopes)
    except ValueError as exc:
        raise ValidationError({"allowed_scopes": str(exc)}) from exc
    if not cleaned:
        raise ValidationError({"allowed_scopes": "Choose at least one scope the application may ask for."})
    return cleaned


@transaction.atomic
def application_register(
    *,
    organization: Organization,
    name: str,
    redirect_uris,
    allowed_scopes,
    webhook_url: str = "",
    description: str = "",
    by=None,
) -> tuple[Application, str]:
    """Register an app; returns it with its client secret in clear (shown once, stored hashed)."""
    if organization.status != Organization.Status.APPROVED:
        raise ValidationError("Your organization must be approved before it can register applications.")
    if not (name or "").strip():
        raise ValidationError({"name": "Give the application a name customers will recognise."})
    secret = generate_client_secret()
    app = Application(
        organization=organization,
        user=by,
        name=name.strip()[:255],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(_clean_uris(redirect_uris)),
        allowed_scopes=_clean_scopes(allowed_scopes),
        webhook_url=_clean_webhook_url(webhook_url),
        description=description or "",
        client_secret=secret,
        hash_client_secret=True,
        skip_authorization=False,
    )
    app.save()
    webhook_endpoint_for(app)
    credential_created_notify(
        organization=organization, what=f"the OAuth app “{app.name}” (client secret)", by=by
    )
    return app, secret


@transaction.atomic
def application_update(
    *,
    application: Application,
    name: str,
    redirect_uris,
    allowed_scopes,
    webhook_url: str = "",
    description="",
) -> Application:
    application.name = (name or application.name).strip()[:255]
    application.redirect_uris = " ".join(_clean_uris(redirect_uris))
    application.allowed_scopes = _clean_scopes(allowed_scopes)
    application.webhook_url = _clean_webhook_url(webhook_url)
    application.description = description or ""
    application.save(update_fields=["name", "redirect_uris", "allowed_scopes", "webhook_url", "description"])
    return application


@transaction.atomic
def application_secret_rotate(*, application: Application, by=None) -> str:
    """A new client secret (returned in clear once); the old one stops working now. Tokens keep working."""
    secret = generate_client_secret()
    application.client_secret = secret
    application.hash_client_secret = True
    application.save(update_fields=["client_secret", "hash_client_secret"])
    credential_created_notify(
        organization=application.organization,
        what=f"a new client secret for the app “{application.name}”",
        by=by,
    )
    return secret


@transaction.atomic
def application_webhook_secret_rotate(*, application: Application, by=None) -> str:
    endpoint = webhook_endpoint_for(application)
    endpoint.secret = webhook_secret_generate()
    endpoint.save(update_fields=["secret"])
    credential_created_notify(
        organization=application.organization,
        what=f"a new webhook signing secret for the app “{application.name}”",
        by=by,
    )
    return endpoint.secret


@transaction.atomic
def application_webhook_configure(*, application: Application, style: str, espi_notify_url: str = "") -> None:
    """Signed JSON events to the webhook URL, or Green Button BatchList notifications to an ESPI notify URL."""
    if style not in WebhookEndpoint.Style.values:
        raise ValidationError({"webhook_style": "Choose JSON events or Green Button notifications."})
    espi_notify_url = (espi_notify_url or "").strip()
    if espi_notify_url and not redirect_uri_is_safe(espi_notify_url):
        raise ValidationError({"espi_notify_url": "The notify URL must be https (http only for localhost)."})
    if style == WebhookEndpoint.Style.ESPI and not espi_notify_url:
        raise ValidationError(
            {"espi_notify_url": "Give the Green Button notify URL for BatchList notifications."}
        )
    endpoint = webhook_endpoint_for(application)
    endpoint.style = style
    endpoint.espi_notify_url = espi_notify_url
    endpoint.save(update_fields=["style", "espi_notify_url"])
