from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Customers and market"

    def ready(self):
        from portal import checks  # noqa: F401 - registers system checks
        from portal.reads import receivers  # noqa: F401 - records the head-end's answers
