from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"

    def ready(self):
        # signals: the registration-code webhook and access-cache invalidation; tasks: registers the export
        # task in every process, since api.exports enqueues it by name
        from api import signals, tasks  # noqa: F401
