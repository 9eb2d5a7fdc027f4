"""The API index and the caller's own profile: ``/api/v1/`` and ``/api/v1/me/``."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from api.base import ApiView, absolute_url
from api.problems import ApiProblem
from api.schema import problem_responses
from thirdparty import access
from thirdparty.models import Agreement
from thirdparty.scopes import PROFILE_READ, SCOPES, scopes_expand


class ApiRootView(ApiView):
    """Links to the resources (no credential needed)."""

    permission_classes = []

    @extend_schema(summary="API index", responses={200: OpenApiTypes.OBJECT}, auth=[])
    def get(self, request):
        return Response(
            {
                "premises": absolute_url(request, reverse("api:premise-list")),
                "profile": absolute_url(request, reverse("api:me")),
                "registration_codes": absolute_url(request, reverse("api:registration-code-feed")),
                "exports": absolute_url(request, reverse("api:export-list")),
                "schema": absolute_url(request, reverse("api-schema")),
                "docs": absolute_url(request, reverse("api-docs")),
                "scopes": {name: str(s.description) for name, s in SCOPES.items()},
            }
        )


class MeView(ApiView):
    @extend_schema(
        summary="Who am I",
        description=(
            "For a signed-in customer or an OAuth token with `profile:read`: the account holder's name and "
            "e-mail. For an API key: the organization. A token without `profile:read` gets 403."
        ),
        responses={200: OpenApiTypes.OBJECT, **problem_responses(401, 403)},
    )
    def get(self, request):
        actor = self.actor
        if actor.kind == access.CUSTOMER:
            user = actor.user
            return Response(_profile(user) | {"kind": "customer", "scopes": sorted(actor.scopes)})
        if actor.application_id is not None:
            agreement = (
                Agreement.objects.live().filter(pk=actor.agreement_id).first() if actor.agreement_id else None
            )
            granted = actor.scopes & (scopes_expand(agreement.scopes) if agreement else frozenset())
            if PROFILE_READ not in granted:
                raise ApiProblem(
                    403,
                    gettext("This token was not granted the scope 'profile:read'."),
                    slug="scope-missing",
                    title="Scope not granted",
                    scope=PROFILE_READ,
                )
            # what profile:read promises (name and e-mail), never the login username
            return Response(
                _profile(actor.user, third_party=True) | {"kind": "customer", "scopes": sorted(granted)}
            )
        org = actor.organization
        return Response(
            {
                "kind": actor.kind,
                "organization": {"name": org.legal_name, "status": org.status},
                "credential": actor.credential,
                "scopes": sorted(actor.scopes),
            }
        )


def _profile(user, *, third_party: bool = False) -> dict:
    """The account holder; a third party gets only the name and e-mail its scope promised."""
    profile = {"name": user.get_full_name(), "email": user.email}
    return profile if third_party else {"username": user.username} | profile
