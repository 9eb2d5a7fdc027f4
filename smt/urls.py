from django.contrib import admin
from django.urls import include, path

from smt.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("portal.urls_accounts")),
    path("", include("portal.urls")),
]

handler429 = "portal.accounts.ratelimit.handler429"  # allauth calls it; ours adds Retry-After
