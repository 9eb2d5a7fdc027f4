from django.shortcuts import render

from portal.selectors import rep_search


def home(request):
    return render(request, "portal/home.html")


def provider_search(request):
    """Public "find your provider": one entry per company, with the brand names it trades under."""
    query = request.GET.get("q", "").strip()[:100]
    matches = rep_search(query) if query else []
    return render(request, "portal/provider_search.html", {"query": query, "matches": matches})
