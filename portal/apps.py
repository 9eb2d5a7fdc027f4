from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Customers and market"

    def ready(self):
        from portal import checks  # noqa: F401 - registers system checks
        from portal.alerts import receivers as alert_receivers  # noqa: F401 - alerts after loads and reads
        from portal.reads import receivers  # noqa: F401 - records the head-end's answers

        never_list_url_patterns()


def never_list_url_patterns() -> None:
    """With DEBUG on (the default ``make run``), Django answers a 404 with its technical page, which lists
    every URL pattern, instead of calling ``handler404``; the site's own 404 stands in for it."""
    from django.views import debug

    from smt.errors import technical_404

    debug.technical_404_response = technical_404  # type: ignore[assignment]
