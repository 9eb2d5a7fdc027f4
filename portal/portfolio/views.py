"""The portfolio page and its combined download. Thin: the account's premises (the one access rule), the
range from the URL, one loader, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.access_window import market_today
from portal.pages.data import json_script_fast
from portal.portfolio.chart import portfolio_figure
from portal.portfolio.download import combined_csv, combined_filename
from portal.portfolio.selectors import business_premises, portfolio_load
from portal.portfolio.state import DOWNLOAD_GRANULARITIES, portfolio_range


def _not_business(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/portfolio/not_business.html", status=404)


@login_required
@require_GET
def portfolio(request: HttpRequest) -> HttpResponse:
    premises = business_premises(user=request.user)
    if not premises:
        return _not_business(request)
    chosen = portfolio_range(request.GET, windows=[w for _, ws in premises for w in ws], today=market_today())
    data = portfolio_load(
        user=request.user,
        premises=premises,
        start=chosen.start,
        end=chosen.end,
        granularity=chosen.granularity,
    )
    return render(
        request,
        "portal/portfolio/portfolio.html",
        {
            "chosen": chosen,
            "data": data,
            "chart_json": json_script_fast(portfolio_figure(data), "portfolio-chart-data"),
            "download_granularities": DOWNLOAD_GRANULARITIES,
        },
        status=400 if chosen.errors else 200,
    )


@login_required
@require_GET
def portfolio_download(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    premises = business_premises(user=request.user)
    if not premises:
        return _not_business(request)
    chosen = portfolio_range(
        request.GET,
        windows=[w for _, ws in premises for w in ws],
        today=market_today(),
        granularities=DOWNLOAD_GRANULARITIES,
    )
    if chosen.errors:
        return render(request, "portal/portfolio/download_error.html", {"chosen": chosen}, status=400)
    response = StreamingHttpResponse(
        combined_csv(premises=premises, start=chosen.start, end=chosen.end, granularity=chosen.granularity),
        content_type="text/csv; charset=utf-8",
    )
    name = combined_filename(start=chosen.start, end=chosen.end, granularity=chosen.granularity)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
