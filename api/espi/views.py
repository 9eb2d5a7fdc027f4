"""Green Button Connect My Data (ESPI) resources under /espi/1_1/resource/.

A Subscription is one agreement: ``Subscription/{agreement id}``. Its UsagePoints are the premises the
agreement grants (``UsagePoint/{ESI ID}``), each with MeterReadings (``consumption-15min``,
``generation-15min``, ... one per channel and granularity), their IntervalBlocks (one per local day,
``YYYYMMDD``) and UsageSummaries (one per billing period). Documents come from the same Green Button writer as
the ``?format=xml`` download (usage.writers.espi), so ids (uuid5) are stable across calls and every document
validates against the ESPI 4.0 and Atom schemas. Data reach only as far as the caller's access window.

Query parameters (ESPI): ``published-min``, ``published-max``, ``updated-min``, ``updated-max`` filter entries;
``max-results`` and ``start-index`` (1-based) page through them.
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.http import HttpResponse, HttpResponseBase
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions

from api import conditional, params
from api.base import ApiView, AtomMarker
from api.problems import ApiProblem
from api.schema import problem_responses
from thirdparty import access
from thirdparty.accesslog import LoggedRead, access_log_record_many
from thirdparty.models import AgreementPremise
from thirdparty.scopes import USAGE_READ
from usage.models import Premise
from usage.reads.selectors import intervals_for
from usage.writers import espi as writer
from usage.writers.espi import ATOM_NS, Entry, espi_entries, espi_feed, resource_uuid

ATOM = "application/atom+xml"
STATIC_EPOCH = 1704067200  # 2024-01-01T00:00:00Z: published/updated of the fixed shared resources

ESPI_PARAMS = [
    OpenApiParameter("published-min", OpenApiTypes.DATETIME),
    OpenApiParameter("published-max", OpenApiTypes.DATETIME),
    OpenApiParameter("updated-min", OpenApiTypes.DATETIME),
    OpenApiParameter("updated-max", OpenApiTypes.DATETIME),
    OpenApiParameter("max-results", OpenApiTypes.INT),
    OpenApiParameter("start-index", OpenApiTypes.INT),
]
XML_RESPONSES = {
    (200, ATOM): OpenApiResponse(OpenApiTypes.STR, description="ESPI 4.0 Atom document"),
    **problem_responses(400, 401, 403, 404),
}


def _base() -> str:
    return f"{settings.SITE_URL.rstrip('/')}/espi/1_1/resource"


def _xml(body: bytes) -> HttpResponse:
    return HttpResponse(body, content_type=ATOM)


def _standalone(entry_xml: bytes) -> bytes:
    """An entry as a document of its own (the namespace declared on it)."""
    return b"<?xml version='1.0' encoding='UTF-8'?>\n" + entry_xml.replace(
        b"<entry>", f'<entry xmlns="{ATOM_NS}">'.encode(), 1
    )


def _subscription_doc(summary: str):
    """OpenAPI description shared by the subscription-scoped Green Button resources."""
    return extend_schema(
        summary=summary, tags=["Green Button"], parameters=ESPI_PARAMS, responses=XML_RESPONSES
    )


class _NotModified(Exception):
    """Not an error: the way out of a view with a 304."""

    def __init__(self, response: HttpResponseBase):
        super().__init__("not modified")
        self.response = response


class EspiView(ApiView):
    renderer_classes = [AtomMarker]

    def filters(self, request) -> dict:
        def epoch(name):
            v = params.parse_datetime_param(request, name)
            return int(v.timestamp()) if v else None

        return {
            "published_min": epoch("published-min"),
            "published_max": epoch("published-max"),
            "updated_min": epoch("updated-min"),
            "updated_max": epoch("updated-max"),
            "max_results": params.parse_int(request, "max-results", default=1_000_000, lo=1, hi=1_000_000),
            "start_index": params.parse_int(request, "start-index", default=1, lo=1, hi=10**9),
        }

    @staticmethod
    def apply(entries: list, f: dict) -> tuple[list, bool]:
        """The page of entries the filters select, and whether more follow it."""
        out = [
            e
            for e in entries
            if (f["published_min"] is None or e.published >= f["published_min"])
            and (f["published_max"] is None or e.published <= f["published_max"])
            and (f["updated_min"] is None or e.updated >= f["updated_min"])
            and (f["updated_max"] is None or e.updated <= f["updated_max"])
        ]
        a = f["start_index"] - 1
        return out[a : a + f["max_results"]], len(out) > a + f["max_results"]

    # the subscription (agreement) and its premises ----------------------------------------------

    def subscription_actor(self, sid: int) -> access.Actor:
        actor = access.subscription_actor(self.actor, sid)
        if actor is None:
            raise ApiProblem(404, gettext("No subscription with this id is available to you."))
        return actor

    def usage_points(
        self, sid: int, esiid: str | None = None, *, check: bool = True
    ) -> list[access.Decision]:
        actor = self.subscription_actor(sid)
        grants = AgreementPremise.objects.filter(agreement_id=sid).select_related("premise")
        if esiid is not None:
            grants = grants.filter(premise__esiid=esiid)
        decisions = []
        for g in grants.order_by("premise__esiid"):
            d = access.access_decide(actor=actor, premise=g.premise, scope=USAGE_READ)
            if d.status == 403:
                raise ApiProblem(
                    403, d.detail, slug="scope-missing" if d.scope else "forbidden", scope=d.scope
                )
            if d.allowed and d.windows:
                decisions.append(d)
        if esiid is not None and not decisions:
            raise ApiProblem(404, gettext("No UsagePoint with this id is available in this subscription."))
        if not decisions and esiid is None:
            d = access.access_decide(actor=actor, esiid="", scope=USAGE_READ)
            if d.status == 403:
                raise ApiProblem(403, d.detail)
        if check:
            self._check_modified(str(sid), [(sid, d) for d in decisions])
        return decisions

    def _check_modified(self, key: str, pairs: list[tuple[int, access.Decision]]) -> None:
        """Validators of the document from the granted windows' stored data, before anything is rendered;
        a 304 when the caller's copy is current (raised, answered by ``handle_exception``). ``pairs``:
        (subscription id, decision) of every UsagePoint the document holds."""
        ranges: list[tuple[Premise, date, date]] = []
        for _, d in pairs:
            assert d.premise is not None  # an allowed decision names its premise
            ranges.append((d.premise, d.windows[-1].start, d.windows[-1].end))
        v = conditional.validators_for(
            ranges,
            billing=True,
            shape=("espi", key, self.request.get_full_path(), *(str(d.windows) for _, d in pairs)),
        )
        self._validators = v
        response = conditional.not_modified(self.request, v)
        if response is not None:
            for (sid, d), (premise, start, end) in zip(pairs, ranges, strict=True):
                self._logged.append(LoggedRead(premise.pk, d.agreement_id or sid, start, end))
            self.log_reads()
            raise _NotModified(response)

    def handle_exception(self, exc):
        if isinstance(exc, _NotModified):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        v = getattr(self, "_validators", None)
        if v is not None and response.status_code == 200:
            conditional.apply(response, v, request)
        return response

    def entries_for(
        self, sid: int, d: access.Decision, *, granularity: str = "15min", day: date | None = None
    ) -> list:
        w = d.windows[-1]
        start, end = (day, day) if day else (w.start, w.end)
        if day is not None and not any(x.start <= day <= x.end for x in d.windows):
            raise ApiProblem(404, gettext("No IntervalBlock with this id is available to you."))
        reads = intervals_for(
            premise=d.premise, start=start, end=end, granularity=granularity, with_revisions=True
        )
        href = f"{_base()}/Subscription/{sid}/UsagePoint/{d.premise.esiid}"
        self._logged.append(
            LoggedRead(d.premise.pk, d.agreement_id or sid, start, end),
        )
        self._granularity = granularity
        return espi_entries(reads, site_url=settings.SITE_URL, usage_point_href=href)

    def initial(self, request, *args, **kwargs):
        self._validators = None
        self._logged = []
        self._granularity = "15min"
        super().initial(request, *args, **kwargs)

    def log_reads(self):
        if self._logged and self.actor.is_logged:
            access_log_record_many(
                actor=self.actor,
                reads=self._logged,
                resource="espi",
                granularity=self._granularity,
                data_format="xml",
            )

    def feed(self, request, entries: list, *, kind: str, title: str, feed_key: str) -> HttpResponse:
        f = self.filters(request)
        entries, more = self.apply(entries, f)
        updated = max((e.updated for e in entries), default=STATIC_EPOCH)
        self_href = request.build_absolute_uri().replace("&", "&amp;")
        next_href = None
        if more:  # rel="next": the same query from the entry after this page
            q = request.GET.copy()
            q["start-index"] = str(f["start_index"] + f["max_results"])
            q["max-results"] = str(f["max_results"])
            next_href = request.build_absolute_uri(f"{request.path}?{q.urlencode()}").replace("&", "&amp;")
        body = espi_feed(
            entries,
            feed_id=resource_uuid("Feed", feed_key),
            title=title,
            self_href=self_href,
            self_type=f"espi-feed/{kind}",
            updated=updated,
            next_href=next_href,
        )
        self.log_reads()
        return _xml(body)

    def entry(self, entries: list, kind: str, key: str, parent: str | None = None) -> HttpResponse:
        for e in entries:
            if e.kind == kind and e.key == key and (parent is None or e.parent == parent):
                self.log_reads()
                return _xml(_standalone(e.xml))
        raise ApiProblem(
            404, gettext("No %(resource)s with this id is available to you.") % {"resource": kind}
        )


def _granularity_of(mr_key: str) -> str:
    g = mr_key.rsplit("-", 1)[-1]
    if g not in params.GRANULARITIES or not mr_key.startswith(("consumption-", "generation-")):
        raise ApiProblem(404, gettext("No MeterReading with this id is available to you."))
    return g


def _day_of(ib_key: str) -> date:
    try:
        return datetime.strptime(ib_key, "%Y%m%d").date()  # noqa: DTZ007 - a calendar-date id, only .date() kept
    except ValueError:
        raise ApiProblem(404, gettext("No IntervalBlock with this id is available to you.")) from None


class BatchSubscriptionView(EspiView):
    @_subscription_doc("Batch/Subscription: every resource of a subscription")
    def get(self, request, sid: int, esiid: str | None = None):
        entries: list[Entry] = []
        for d in self.usage_points(sid, esiid):
            entries.extend(self.entries_for(sid, d))
        return self.feed(
            request, entries, kind="UsagePoint", title=f"Subscription {sid}", feed_key=f"batch/{sid}/{esiid}"
        )


class _BatchOfSubscriptions(EspiView):
    """Every resource of several subscriptions in one feed (Bulk, RetailCustomer)."""

    def batch(self, request, sids: list[int], *, title: str, feed_key: str) -> HttpResponse:
        if not sids:
            raise ApiProblem(
                404, gettext("No %(resource)s with this id is available to you.") % {"resource": title}
            )
        pairs = [(sid, d) for sid in sids for d in self.usage_points(sid, check=False)]
        self._check_modified(feed_key, pairs)
        entries: list[Entry] = []
        for sid, d in pairs:
            entries.extend(self.entries_for(sid, d))
        return self.feed(request, entries, kind="UsagePoint", title=title, feed_key=feed_key)


class BatchBulkView(_BatchOfSubscriptions):
    @_subscription_doc("Batch/Bulk: every subscription of an application (its id) that you may read")
    def get(self, request, bulk_id: int):
        sids = access.readable_subscriptions(self.actor, application_id=bulk_id)
        return self.batch(request, sids, title=f"Bulk {bulk_id}", feed_key=f"bulk/{bulk_id}")


class BatchRetailCustomerView(_BatchOfSubscriptions):
    @_subscription_doc("Batch/RetailCustomer/{id}/UsagePoint: every UsagePoint one customer shares with you")
    def get(self, request, customer_id: int):
        sids = access.readable_subscriptions(self.actor, customer_id=customer_id)
        return self.batch(
            request, sids, title=f"RetailCustomer {customer_id}", feed_key=f"customer/{customer_id}"
        )


class UsagePointsView(EspiView):
    @_subscription_doc("UsagePoints of a subscription")
    def get(self, request, sid: int, esiid: str | None = None):
        entries: list[Entry] = []
        for d in self.usage_points(sid, esiid):
            entries.extend(
                e for e in self.entries_for(sid, d, day=d.windows[-1].end) if e.kind == "UsagePoint"
            )
        if esiid is not None:
            return self.entry(entries, "UsagePoint", esiid)
        return self.feed(request, entries, kind="UsagePoint", title="UsagePoints", feed_key=f"up/{sid}")


class MeterReadingsView(EspiView):
    @_subscription_doc("MeterReadings of a UsagePoint")
    def get(self, request, sid: int, esiid: str, mr: str | None = None):
        (d,) = self.usage_points(sid, esiid)
        grans = [_granularity_of(mr)] if mr else ["15min"]
        entries: list[Entry] = []
        for g in grans:
            entries.extend(e for e in self.entries_for(sid, d, granularity=g) if e.kind == "MeterReading")
        if mr is not None:
            return self.entry(entries, "MeterReading", mr)
        return self.feed(
            request, entries, kind="MeterReading", title="MeterReadings", feed_key=f"mr/{sid}/{esiid}"
        )


class IntervalBlocksView(EspiView):
    @_subscription_doc("IntervalBlocks of a MeterReading")
    def get(self, request, sid: int, esiid: str, mr: str, ib: str | None = None):
        (d,) = self.usage_points(sid, esiid)
        g = _granularity_of(mr)
        day = _day_of(ib) if ib is not None and g in ("15min", "hour") else None
        entries = [
            e
            for e in self.entries_for(sid, d, granularity=g, day=day)
            if e.kind == "IntervalBlock" and e.parent == mr
        ]
        if ib is not None:
            return self.entry(entries, "IntervalBlock", ib, parent=mr)
        return self.feed(
            request, entries, kind="IntervalBlock", title="IntervalBlocks", feed_key=f"ib/{sid}/{esiid}/{mr}"
        )


class UsageSummariesView(EspiView):
    @_subscription_doc("UsageSummaries of a UsagePoint")
    def get(self, request, sid: int, esiid: str, us: str | None = None):
        (d,) = self.usage_points(sid, esiid)
        entries = [e for e in self.entries_for(sid, d, granularity="month") if e.kind == "UsageSummary"]
        if us is not None:
            return self.entry(entries, "UsageSummary", us)
        return self.feed(
            request, entries, kind="UsageSummary", title="UsageSummaries", feed_key=f"us/{sid}/{esiid}"
        )


class ReadingTypeView(EspiView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(summary="A ReadingType", tags=["Green Button"], responses=XML_RESPONSES, auth=[])
    def get(self, request, rt: str):
        g = _granularity_of(rt)
        flow = 1 if rt.startswith("consumption-") else 19
        name = "consumption" if flow == 1 else "surplus generation"
        href = f"{_base()}/ReadingType/{rt}"
        xml = writer.atom_entry(
            resource_uuid("ReadingType", rt.split("-")[0], g),
            f"{writer.GRANULARITY_TITLES[g]} {name}, Wh",
            [
                writer.atom_link("self", href, "espi-entry/ReadingType"),
                writer.atom_link("up", f"{_base()}/ReadingType", "espi-feed/ReadingType"),
            ],
            writer.reading_type_xml(flow, g),
            STATIC_EPOCH,
            STATIC_EPOCH,
        )
        return _xml(_standalone(xml))


class LocalTimeParametersView(EspiView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="LocalTimeParameters (US Central)", tags=["Green Button"], responses=XML_RESPONSES, auth=[]
    )
    def get(self, request, ltp: str):
        if ltp != "US-Central":
            raise ApiProblem(404, gettext("The only LocalTimeParameters here is US-Central."))
        href = f"{_base()}/LocalTimeParameters/US-Central"
        xml = writer.atom_entry(
            resource_uuid("LocalTimeParameters", "US-Central"),
            "US Central Time (America/Chicago)",
            [
                writer.atom_link("self", href, "espi-entry/LocalTimeParameters"),
                writer.atom_link("up", f"{_base()}/LocalTimeParameters", "espi-feed/LocalTimeParameters"),
            ],
            f'<LocalTimeParameters xmlns="{writer.ESPI_NS}"><dstEndRule>{writer.DST_END_RULE}</dstEndRule>'
            f"<dstOffset>{writer.DST_OFFSET}</dstOffset><dstStartRule>{writer.DST_START_RULE}</dstStartRule>"
            f"<tzOffset>{writer.TZ_OFFSET}</tzOffset></LocalTimeParameters>",
            STATIC_EPOCH,
            STATIC_EPOCH,
        )
        return _xml(_standalone(xml))


class ReadServiceStatusView(EspiView):
    """Behind a credential (any token or key of ours, the application's own client-credentials token
    included), as Connect My Data has it."""

    @extend_schema(summary="ReadServiceStatus", tags=["Green Button"], responses=XML_RESPONSES)
    def get(self, request):
        body = (
            "<?xml version='1.0' encoding='UTF-8'?>\n"
            '<ServiceStatus xmlns="http://naesb.org/espi"><currentStatus>1</currentStatus></ServiceStatus>\n'
        )
        return _xml(body.encode())


def one_of(view_cls, operation_id: str, summary: str):
    """The single-resource form of a collection view, with its own OpenAPI operation."""
    sub = type(f"{view_cls.__name__}One", (view_cls,), {"__doc__": summary})
    return extend_schema_view(
        get=extend_schema(
            operation_id=operation_id,
            summary=summary,
            tags=["Green Button"],
            parameters=[],
            responses=XML_RESPONSES,
        )
    )(sub)


UsagePointView = one_of(UsagePointsView, "espi_usage_point", "One UsagePoint")
MeterReadingView = one_of(MeterReadingsView, "espi_meter_reading", "One MeterReading")
IntervalBlockView = one_of(IntervalBlocksView, "espi_interval_block", "One IntervalBlock")
UsageSummaryView = one_of(UsageSummariesView, "espi_usage_summary", "One UsageSummary")
BatchUsagePointView = one_of(
    BatchSubscriptionView,
    "espi_batch_usage_point",
    "Batch/Subscription/{id}/UsagePoint/{id}: every resource of one UsagePoint",
)
