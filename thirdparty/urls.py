"""URLs of the third-party side, included at the site root from smt/urls.py.

Two namespaces: ``oauth2_provider`` (django-oauth-toolkit reverses its endpoints by that name) and
``thirdparty`` (customer and developer pages).
"""

from django.urls import include, path
from oauth2_provider import views as dot_views

from thirdparty import oauth
from thirdparty.oauthlimit import oauth_limited
from thirdparty.views import customer, developer

oauth_patterns = [
    path(
        ".well-known/oauth-authorization-server", oauth.MetadataView.as_view(), name="oauth-server-metadata"
    ),
    path("o/authorize/", oauth.ConsentView.as_view(), name="authorize"),
    path("o/token/", oauth_limited(dot_views.TokenView.as_view()), name="token"),
    path("o/revoke_token/", oauth_limited(dot_views.RevokeTokenView.as_view()), name="revoke-token"),
    path("o/introspect/", oauth_limited(oauth.AgreementIntrospectView.as_view()), name="introspect"),
]

page_patterns = [
    # The customer's side.
    path("accounts/apps/", customer.apps_with_access, name="apps"),
    path("accounts/apps/<int:pk>/revoke/", customer.agreement_revoke_confirm, name="agreement_revoke"),
    path("accounts/apps/<int:pk>/revoked/", customer.agreement_revoked, name="agreement_revoked"),
    path("accounts/access-log/", customer.access_log, name="access_log"),
    path("developers/logos/<int:pk>/", customer.organization_logo, name="org_logo"),
    # The third party's side.
    path("developers/", developer.dashboard, name="dev_home"),
    path("developers/docs/", developer.docs, name="dev_docs"),
    path("developers/signup/", developer.organization_signup, name="dev_signup"),
    path("developers/agreements/", developer.agreements, name="dev_agreements"),
    path(
        "developers/agreements/<int:pk>/terminate/",
        developer.agreement_terminate_confirm,
        name="dev_agreement_terminate",
    ),
    path(
        "developers/agreements/<int:pk>/terminated/",
        developer.agreement_terminated,
        name="dev_agreement_terminated",
    ),
    path("developers/apps/", developer.applications, name="dev_apps"),
    path("developers/apps/new/", developer.application_new, name="dev_app_new"),
    path("developers/apps/<int:pk>/", developer.application_detail, name="dev_app"),
    path("developers/apps/<int:pk>/secret/", developer.application_secret_rotate, name="dev_app_secret"),
    path(
        "developers/apps/<int:pk>/webhook-secret/",
        developer.application_webhook_secret_rotate,
        name="dev_app_webhook_secret",
    ),
    path("developers/keys/", developer.api_keys, name="dev_keys"),
    path("developers/keys/<int:pk>/revoke/", developer.api_key_revoke, name="dev_key_revoke"),
    path("developers/webhooks/", developer.deliveries, name="dev_deliveries"),
    path("developers/webhooks/<uuid:pk>/", developer.delivery_detail, name="dev_delivery"),
    path("developers/webhooks/<uuid:pk>/replay/", developer.delivery_replay, name="dev_delivery_replay"),
]

urlpatterns = [
    path("", include((oauth_patterns, "oauth2_provider"))),
    path("", include((page_patterns, "thirdparty"))),
]
