"""The baseline a typical Django project would build: one row per reading. Its table is created by
bench/bench_api.py (not by the app's migrations)."""

from django.db import models


class BaselineReading(models.Model):
    premise_id = models.IntegerField()
    start = models.DateTimeField()
    kwh = models.DecimalField(max_digits=10, decimal_places=3)
    estimated = models.BooleanField(default=False)

    class Meta:
        managed = False
        db_table = "bench_baseline_reading"
        app_label = "bench"

    def __str__(self):
        return f"{self.premise_id} {self.start} {self.kwh}"
