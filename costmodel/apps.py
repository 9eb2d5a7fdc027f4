from django.apps import AppConfig


class CostModelConfig(AppConfig):
    """The state-wide cost model: measured figures and dated prices turned into a yearly bill."""

    name = "costmodel"
    verbose_name = "State-wide cost model"
