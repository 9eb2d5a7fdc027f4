"""OpenAPI (drf-spectacular): shared parameters, problem responses, security schemes and the description with
the live limits."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from api.params import MAX_DATE, MAX_RANGE_DAYS, MIN_DATE
from api.throttling import limits_description
from thirdparty.scopes import SCOPES

ESIID_PARAM = OpenApiParameter(
    "esiid", OpenApiTypes.STR, OpenApiParameter.PATH, description="The premise's ESI ID (17 or 22 digits)."
)
START_PARAM = OpenApiParameter(
    "start",
    OpenApiTypes.DATE,
    description=(
        f"First local (America/Chicago) date, inclusive; between {MIN_DATE.isoformat()} and "
        f"{MAX_DATE.isoformat()}."
    ),
    required=True,
)
END_PARAM = OpenApiParameter(
    "end",
    OpenApiTypes.DATE,
    description=(
        f"Last local date, inclusive: on or after `start`, at most {MAX_RANGE_DAYS} days after it "
        f"(both counted), and no later than {MAX_DATE.isoformat()}. A range breaking these is a 400 naming `end`."
    ),
    required=True,
)

ProblemSerializer = inline_serializer(
    "Problem",
    fields={
        "type": serializers.URLField(help_text="A URI naming the kind of problem."),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "detail": serializers.CharField(help_text="What went wrong and what to do."),
        "parameter": serializers.CharField(required=False, help_text="The offending parameter (400)."),
        "code": serializers.CharField(
            required=False,
            help_text="What is wrong with an in-home device's MAC or install code, as a stable code (400).",
        ),
        "scope": serializers.CharField(required=False, help_text="The scope the grant lacks (403)."),
        "windows": serializers.ListField(
            child=serializers.DictField(), required=False, help_text="Your access window's bounds (422)."
        ),
    },
)

_EXAMPLES = {
    400: (
        "Bad date",
        {
            "title": "Invalid parameter",
            "detail": "start='2025-13-01' is not a date; use YYYY-MM-DD, e.g. 2025-07-01.",
            "parameter": "start",
        },
    ),
    401: (
        "No credential",
        {
            "title": "Authentication required",
            "detail": "Send an OAuth 2.0 bearer token (Authorization: Bearer ...), an organization API key (Authorization: Api-Key smt_...) or sign in.",
        },
    ),
    403: (
        "Scope not granted",
        {
            "title": "Scope not granted",
            "detail": "Your access to this premise does not include the scope 'usage:read'.",
            "scope": "usage:read",
        },
    ),
    404: (
        "Unknown premise or no grant",
        {"title": "Not found", "detail": "No premise with this ESI ID is available to you."},
    ),
    406: (
        "Unsupported format",
        {
            "title": "Not acceptable",
            "detail": "Format 'pdf' is not available here; use one of: json (application/json), csv (text/csv), xml (application/atom+xml).",
        },
    ),
    409: (
        "Conflict",
        {
            "title": "Conflict",
            "detail": "A device with this MAC is already connected to a meter (or joining one); it must be removed there first.",
        },
    ),
    422: (
        "Outside the window",
        {
            "title": "Outside your access window",
            "detail": "The dates 2020-01-01 to 2020-01-31 are outside your access window (2024-11-27 to 2026-11-27). Ask for dates inside it.",
            "windows": [{"start": "2024-11-27", "end": "2026-11-27"}],
        },
    ),
    410: (
        "Expired link",
        {
            "title": "Gone",
            "detail": "This download link has expired or is not valid; get a new one from the job.",
        },
    ),
    429: (
        "Throttled",
        {
            "title": "Too many requests",
            "detail": "Too many requests; try again in 17 seconds.",
            "retry_after": 17,
        },
    ),
}


def problem_responses(*statuses: int) -> dict:
    out = {}
    for status in statuses:
        name, body = _EXAMPLES[status]
        out[(status, "application/problem+json")] = OpenApiResponse(
            ProblemSerializer,
            description=body["title"],
            examples=[
                OpenApiExample(
                    name, value={"type": "https://…/problem-…", "status": status} | body, response_only=True
                )
            ],
        )
    return out


PROBLEM_RESPONSES = problem_responses(400, 401, 403, 404, 406, 422, 429)


class BearerScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "oauth2"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": "OAuth 2.0 authorization code flow with PKCE (S256). Send `Authorization: Bearer <token>`.",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": "/o/authorize/",
                    "tokenUrl": "/o/token/",
                    "refreshUrl": "/o/token/",
                    "scopes": {name: str(s.description) for name, s in SCOPES.items()},
                }
            },
        }


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "An organization API key: `Authorization: Api-Key smt_...` (or `X-Api-Key: smt_...`).",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.CustomerSessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "A signed-in customer (CSRF token on writes).",
        }


def description() -> str:
    scopes = "\n".join(f"- `{name}`: {s.description}" for name, s in SCOPES.items())
    return f"""Smart-meter data of Texas premises: 15-minute intervals, billing periods, summaries, on-demand
reads, bulk exports and Green Button Connect My Data.

**Credentials.** A signed-in customer (session); an OAuth 2.0 bearer token an app got through the customer's
consent; or an organization API key (REPs and third parties, server to server).

**Scopes.**
{scopes}

**Errors** are `application/problem+json` (RFC 9457) with `type`, `title`, `status` and `detail`: 400 a bad
parameter (named in `parameter`), 401 no or a bad credential, 403 the grant lacks a scope (named in `scope`)
or the organization is not active, 404 an unknown premise or one you hold no grant on (the same answer), 406
a format we cannot produce, 422 a range outside your access window (bounds in `windows`), 429 throttled.

{limits_description()}
"""


#: what any operation may answer (a bad query, an unknown premise, a format it cannot make, a limit, an outage
#: or a request shed under load), what any operation that needs a credential adds, and what a POST adds
_ANY = (400, 404, 406, 429, 503)
_AUTHENTICATED = (401, 403)
_POST = (409, 413, 415, 422)
_DESCRIPTIONS = {
    400: "Invalid parameter or malformed request (the parameter is named)",
    401: "No credential, or one that is not valid",
    403: "The grant lacks a scope, or the organization is not active",
    404: "Unknown, or not yours (the same answer)",
    406: "A format this operation cannot produce",
    409: "The first request with this Idempotency-Key is still being answered",
    410: "The download link has expired",
    413: "The request body is too large",
    415: "The request body's media type is not accepted",
    422: "Outside your access window, or an Idempotency-Key reused with another body",
    429: "A rate limit or quota is used up (Retry-After says when to try again)",
    503: "A service we depend on is down, or the server is busy (Retry-After says when to try again)",
}


def _problem_response(status: int) -> dict:
    return {
        "description": _DESCRIPTIONS[status],
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _servers(request) -> list[dict]:
    """The address the document was fetched from (scheme, host and port), else the configured site."""
    from django.conf import settings

    if request is not None:
        return [{"url": request.build_absolute_uri("/").rstrip("/")}]
    return [{"url": settings.SITE_URL}]


def postprocess(result, generator, request, public):
    """drf-spectacular hook: the description is built from the live settings (limits, scopes); every operation
    lists every status it can answer, with the problem document; ``servers`` is where the document was served."""
    result.setdefault("info", {})["description"] = description()
    result["servers"] = _servers(request)
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            statuses = list(_ANY)
            if operation.get("security") != [{}] and operation.get("security") != []:
                statuses += _AUTHENTICATED
            if method == "post":
                statuses += _POST
            responses = operation["responses"]
            for status in statuses:
                responses.setdefault(str(status), _problem_response(status))
    return result
