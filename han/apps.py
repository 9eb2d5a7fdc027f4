from django.apps import AppConfig


class HanConfig(AppConfig):
    name = "han"
    verbose_name = "In-home devices (HAN)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from han import receivers, webhooks  # noqa: F401 - head-end answers, move-outs, webhooks
