"""The pages problem ``type`` URIs lead to: ``/api/problems/`` lists every type, ``/api/problems/<slug>``
explains one (what it means, what to do)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from api.problems import PROBLEM_TYPES, problem_type
from smt.errors import page_not_found


def problem_types(request: HttpRequest) -> HttpResponse:
    types = [
        {"slug": slug, "title": title, "text": text, "uri": problem_type(slug, request)}
        for slug, (title, text) in PROBLEM_TYPES.items()
    ]
    return render(request, "api/problem_types.html", {"types": types})


def problem_type_page(request: HttpRequest, slug: str) -> HttpResponse:
    if slug not in PROBLEM_TYPES:
        return page_not_found(request)
    title, text = PROBLEM_TYPES[slug]
    return render(
        request,
        "api/problem_types.html",
        {"types": [{"slug": slug, "title": title, "text": text, "uri": problem_type(slug, request)}]},
    )
