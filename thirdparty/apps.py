from django.apps import AppConfig


class ThirdpartyConfig(AppConfig):
    name = "thirdparty"
    verbose_name = "Third parties and consent"

    def ready(self):
        from thirdparty import receivers  # noqa: F401  (connects the receivers)
