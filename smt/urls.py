from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from smt.health import healthz, readyz

# The admin signs in through allauth (with its second factor), never through Django's own form;
# SecondFactorRequiredMiddleware keeps staff without a second factor out of it.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    return HttpResponsePermanentRedirect(static("favicon.svg"))  # resolved per request: the manifest's name


urlpatterns = [
    # Browsers ask for /favicon.ico whatever the page says; the site's icon is an SVG among the static files.
    path("favicon.ico", favicon),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("portal.accounts.urls")),
    path("", include("portal.urls")),
    path("", include("han.urls")),  # the Devices pages (HAN)
    path("", include("api.urls")),  # /api/v1/, /api/schema/, /api/docs/, /espi/1_1/resource/
    path(
        "", include("thirdparty.urls")
    ),  # /o/ (OAuth), /.well-known/oauth-authorization-server, /developers/
]

handler400 = "smt.errors.bad_request"  # too many fields, a body too large: 400/413, problem+json on the API
handler403 = "smt.errors.permission_denied"
handler404 = "smt.errors.page_not_found"  # with DEBUG on too (portal/apps.py): never the list of URL patterns
handler500 = "smt.errors.server_error"  # an outage of the database or Redis answers 503 (smt/outage.py)
handler429 = "portal.accounts.ratelimit.handler429"  # allauth calls it; ours adds Retry-After
