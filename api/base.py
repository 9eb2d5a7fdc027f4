"""The base of every API view: who is calling, rate limits on every response, problem documents, formats."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import orjson
from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext
from rest_framework import exceptions, permissions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api import idempotency, throttling
from api.authentication import (
    ApiKeyAuthentication,
    BearerTokenAuthentication,
    CustomerSessionAuthentication,
)
from api.problems import ApiProblem
from smt.outage import RETRY_AFTER_SECONDS, broker_down
from thirdparty.access import GENERATION_KEY as ACCESS_GEN_KEY
from thirdparty.access import Actor, access_decide
from thirdparty.access import cache_seconds as access_cache_seconds
from thirdparty.accesslog import access_log_record
from usage.storage import shared_reads


class OrjsonRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)


class CsvMarker(BaseRenderer):
    """Names the CSV format for negotiation; the body itself comes from usage.writers."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):  # pragma: no cover
        raise exceptions.NotAcceptable("CSV is not available here.")


class AtomMarker(BaseRenderer):
    media_type = "application/atom+xml"
    format = "xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):  # pragma: no cover
        raise exceptions.NotAcceptable("XML is not available here.")


class ApiNegotiation(DefaultContentNegotiation):
    """``?format=`` or ``Accept``; anything we cannot produce is 406 (never a silent 404 or JSON)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        supported = ", ".join(f"{r.format} ({r.media_type})" for r in renderers)
        fmt = request.query_params.get("format")
        if fmt:
            for r in renderers:
                if r.format == fmt:
                    return r, r.media_type
            raise exceptions.NotAcceptable(f"Format {fmt!r} is not available here; use one of: {supported}.")
        try:
            return super().select_renderer(request, renderers, None)
        except exceptions.NotAcceptable:
            accept = request.META.get("HTTP_ACCEPT", "")
            raise exceptions.NotAcceptable(
                f"Cannot produce {accept!r} here; ask for one of: {supported}."
            ) from None


def _presented_credential(request) -> str | None:
    """A digest of the credential the request presents (token, key or session), before checking it."""
    raw = request.META.get("HTTP_AUTHORIZATION") or request.META.get("HTTP_X_API_KEY")
    if not raw:
        raw = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if not raw:
            return None
        raw = "session:" + raw
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()[:32]


class HasActor(permissions.BasePermission):
    def has_permission(self, request, view):
        if isinstance(request.auth, Actor):
            return True
        raise exceptions.NotAuthenticated()


class ApiView(APIView):
    authentication_classes = [BearerTokenAuthentication, ApiKeyAuthentication, CustomerSessionAuthentication]
    permission_classes = [HasActor]
    renderer_classes = [OrjsonRenderer]
    content_negotiation_class = ApiNegotiation
    throttle_classes = []
    #: extra rate-limit buckets counted on unsafe methods (e.g. "exports")
    write_buckets: tuple[str, ...] = ()
    #: unsafe methods queue work for a Celery worker: refused with 503 while the broker is down (fail closed)
    needs_broker = False

    @property
    def actor(self) -> Actor:
        return self.request.auth

    def dispatch(self, request, *args, **kwargs):
        """A read fetches each premise range's stored rows once, for its validators and its body."""
        if request.method in ("GET", "HEAD"):
            with shared_reads():
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        self.format_kwarg = None
        if self.needs_broker and request.method not in permissions.SAFE_METHODS and broker_down():
            raise ApiProblem(
                503,
                gettext(
                    "We cannot queue this work right now; nothing was created. "
                    "Please try again in %(seconds)s seconds."
                )
                % {"seconds": RETRY_AFTER_SECONDS},
                slug="service-unavailable",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        # one cache round trip before anything else: the rate-limit counters (per client IP and per
        # presented credential) and the access-cache generation that authentication and access use
        hits = [("ip", throttling.client_ip(request))]
        ident = _presented_credential(request)
        peek = []
        if ident is not None:
            hits.append(("credential", ident))
            if request.method not in permissions.SAFE_METHODS:
                # quotas of accepted work are only looked at here; ``quota`` counts the work once accepted
                peek = [(b, ident) for b in self.write_buckets]
        request._quota_ident = ident
        caching = access_cache_seconds() > 0
        states, generation = throttling.count(hits, read_key=ACCESS_GEN_KEY if caching else None, peek=peek)
        caching = caching and not getattr(
            cache, "degraded", False
        )  # Redis down: no access caching (smt/cache.py)
        request._ratelimit_states = states
        request._access_generation = int(generation or 0) if caching else None
        for s in states:
            if s.exceeded and not s.peeked:  # a used-up quota is refused when work would be created
                raise exceptions.Throttled(wait=s.reset)
        request.user  # noqa: B018 - runs the authenticators (401 on a bad credential)
        neg = self.perform_content_negotiation(request)
        request.accepted_renderer, request.accepted_media_type = neg
        version, scheme = self.determine_version(request, *args, **kwargs)
        request.version, request.versioning_scheme = version, scheme
        self.check_permissions(request)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        states = getattr(request, "_ratelimit_states", None)
        if states is None:
            # failed before counting (e.g. a malformed request): count it by IP so headers are honest
            states, _ = throttling.count([("ip", throttling.client_ip(request))])
        for k, v in throttling.headers_for(states).items():
            response[k] = v
        response.setdefault("Cache-Control", "private, no-store")
        # the body depends on the format asked for and on who asks (smt.compression adds Accept-Encoding)
        patch_vary_headers(response, ("Accept", "Authorization"))
        return response

    # helpers ---------------------------------------------------------------------------------------

    def idempotent(self, answer: Callable[[], Response]) -> HttpResponse:
        """``answer()`` under the request's ``Idempotency-Key`` (api/idempotency.py), if it sent one."""
        request = self.request
        raw_key = request.headers.get(idempotency.HEADER)
        body = b""
        if raw_key is not None:
            data = request.data  # the parsed body (the raw stream is gone once parsed): 400 when malformed
            if hasattr(data, "lists"):
                data = dict(data.lists())
            body = orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
        return idempotency.idempotent(
            credential=self.actor.cache_key[:80],
            raw_key=raw_key,
            method=str(request.method),
            path=request.path,
            body=body,
            answer=answer,
        )

    @contextmanager
    def quota(self) -> Iterator[None]:
        """Count the work created inside the block against the view's ``write_buckets`` (429 when one is
        used up); the unit is given back when the block raises, so refused work never uses up a quota."""
        request = self.request
        ident: str = getattr(request, "_quota_ident", None) or ""
        taken: list[str] = []
        states = [s for s in getattr(request, "_ratelimit_states", []) if s.bucket not in self.write_buckets]
        try:
            for bucket in self.write_buckets if ident else ():
                state = throttling.quota_take(bucket, ident)
                if state is None:
                    continue
                states.append(state)
                if state.exceeded:
                    raise exceptions.Throttled(wait=state.reset)
                taken.append(bucket)
            setattr(request, "_ratelimit_states", states)  # noqa: B010 - the headers finalize_response adds
            yield
        except BaseException:
            for bucket in taken:
                throttling.quota_give_back(bucket, ident)
            given_back = [
                dataclasses.replace(s, count=s.count - 1, peeked=True) if s.bucket in taken else s
                for s in states
            ]
            setattr(request, "_ratelimit_states", given_back)  # noqa: B010
            raise

    def log_read(self, decision, resource: str, **fields) -> None:
        """The access-log entry of a read this caller was allowed (customers' own reads are not logged).
        ``fields``: agreement_id (default: the decision's), range_start, range_end, granularity, data_format."""
        fields.setdefault("agreement_id", decision.agreement_id)
        access_log_record(actor=self.actor, premise_id=decision.premise.pk, resource=resource, **fields)

    def decide(self, **kwargs):
        """thirdparty.access.access_decide for this caller; raises the problem the decision calls for."""
        d = access_decide(
            actor=self.actor, generation=getattr(self.request, "_access_generation", None), **kwargs
        )
        if d.allowed:
            return d
        if d.status == 422:
            raise ApiProblem(422, d.detail, windows=[w.as_dict() for w in d.windows])
        if d.status == 403 and d.scope:
            raise ApiProblem(403, d.detail, slug="scope-missing", title="Scope not granted", scope=d.scope)
        if d.status == 403:
            raise ApiProblem(403, d.detail, slug="organization-inactive", title="Organization not active")
        raise ApiProblem(404, d.detail)


def absolute_url(request, path: str) -> str:
    """``path`` (from ``reverse``) as an absolute URL on the host the request came to."""
    return request.build_absolute_uri(path)


class NotFoundView(ApiView):
    """Any other address under the API: a problem document, with the rate-limit headers."""

    permission_classes = [permissions.AllowAny]
    schema = None  # not an endpoint: left out of the OpenAPI document

    def http_method_not_allowed(self, request, *args, **kwargs):
        return self.get(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        path = request.path
        if not path.endswith("/"):
            try:
                match = resolve(path + "/")
            except Resolver404:
                match = None
            if match is not None and not issubclass(getattr(match.func, "view_class", object), NotFoundView):
                raise ApiProblem(
                    404,
                    gettext("Nothing is at %(path)s; did you mean %(path)s/ (with a trailing slash)?")
                    % {"path": path},
                )
        raise Http404

    post = put = patch = delete = options = get
