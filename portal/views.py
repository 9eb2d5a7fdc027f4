from django.shortcuts import redirect, render

from portal.selectors import rep_search


def home(request):
    if request.user.is_authenticated:
        return redirect("portal:dashboard")  # signed-in customers start at their dashboard
    return render(request, "portal/home.html")


def provider_search(request):
    """Public "find your provider": one entry per company, with the brand names it trades under."""
    query = request.GET.get("q", "").strip()[:100]
    matches = rep_search(query) if query else []
    return render(request, "portal/provider_search.html", {"query": query, "matches": matches})
