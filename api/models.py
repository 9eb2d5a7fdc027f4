"""Bulk export jobs: many premises, one range, one compressed file, written by a Celery task."""

import uuid

from django.conf import settings
from django.db import models


class ExportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Format(models.TextChoices):
        CSV = "csv", "CSV (TDU layout for 15-minute data)"
        JSONL = "jsonl", "JSON lines (one premise per line)"

    class Compression(models.TextChoices):
        ZSTD = "zstd", "zstd"
        GZIP = "gzip", "gzip"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # who asked (enough to rebuild the caller for thirdparty.access when the task runs)
    actor_kind = models.CharField(max_length=12)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    organization = models.ForeignKey(
        "thirdparty.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    agreement = models.ForeignKey(
        "thirdparty.Agreement", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    api_key = models.ForeignKey(
        "thirdparty.ApiKey", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    credential = models.CharField(max_length=80)
    scopes = models.JSONField(default=list)
    # what was asked
    esiids = models.JSONField(default=list)
    start = models.DateField()
    end = models.DateField()
    granularity = models.CharField(max_length=10, default="15min")
    data_format = models.CharField(max_length=5, choices=Format.choices, default=Format.CSV)
    compression = models.CharField(max_length=5, choices=Compression.choices, default=Compression.ZSTD)
    # progress and result
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED, db_index=True)
    premises_total = models.IntegerField(default=0)
    premises_done = models.IntegerField(default=0)
    not_included = models.JSONField(default=list, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    #: when the job was last handed to the broker (None: not yet, or the broker did not answer)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["credential", "-created_at"], name="exportjob_credential")]

    def __str__(self):
        return f"export {self.id} ({self.status}, {self.premises_done}/{self.premises_total})"


class IdempotencyRecord(models.Model):
    """The first answer to a POST that carried an ``Idempotency-Key``, replayed for 24 hours to the same
    credential (api/idempotency.py). ``state`` is in_flight until the first answer is stored."""

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", "In flight"
        DONE = "done", "Done"

    credential = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=9, choices=State.choices, default=State.IN_FLIGHT)
    status = models.IntegerField(null=True, blank=True)
    body = models.BinaryField(default=b"")
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["credential", "key"], name="idempotency_credential_key"),
        ]

    def __str__(self):
        return f"idempotency {self.key} ({self.state})"
