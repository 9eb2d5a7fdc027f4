"""A business customer's portfolio (portal.portfolio)."""

from django.urls import path

from portal.portfolio import views

urlpatterns = [
    path("portfolio/", views.portfolio, name="portfolio"),
    path("portfolio/download.csv", views.portfolio_download, name="portfolio_download"),
]
