"""The market's physical side: utilities (TDUs), premises (ESI IDs) and meters. Knows no people."""

from django.core.exceptions import ValidationError
from django.db import models

from usage.esiid import InvalidEsiid, esiid_validate


class Tdu(models.Model):
    """A transmission and distribution utility: delivers the interval files, issues ESI IDs."""

    name = models.CharField(max_length=120, unique=True)
    short_name = models.CharField(max_length=40, blank=True)
    duns = models.CharField("DUNS number", max_length=13, unique=True)
    esiid_prefixes = models.JSONField(
        default=list, help_text='The ESI ID prefixes this TDU issues, e.g. ["1044372", "1017699"].'
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "TDU"

    def __str__(self):
        return self.name

    def clean(self):
        prefixes = self.esiid_prefixes or []
        if not isinstance(prefixes, list) or not all(isinstance(p, str) and p.isdigit() for p in prefixes):
            raise ValidationError({"esiid_prefixes": 'Give a list of digit strings, e.g. ["1044372"].'})


class Premise(models.Model):
    """A point of service, identified by its ESI ID."""

    class Kind(models.TextChoices):
        RESIDENTIAL = "residential", "Residential"
        BUSINESS = "business", "Business"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DE_ENERGIZED = "de-energized", "De-energized"
        RETIRED = "retired", "Retired"

    esiid = models.CharField("ESI ID", max_length=22, unique=True)
    tdu = models.ForeignKey(Tdu, on_delete=models.PROTECT, related_name="premises")
    address_line1 = models.CharField(max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2, default="TX")
    zip_code = models.CharField(max_length=10)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.RESIDENTIAL)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["esiid"]

    def __str__(self):
        return self.esiid

    @property
    def address(self) -> str:
        line = ", ".join(p for p in (self.address_line1, self.address_line2) if p)
        return f"{line}, {self.city}, {self.state} {self.zip_code}"

    def clean(self):
        try:
            prefixes = self.tdu.esiid_prefixes if self.tdu_id else None
            self.esiid = esiid_validate(self.esiid, prefixes)
        except InvalidEsiid as exc:
            raise ValidationError({"esiid": str(exc)}) from exc


class Meter(models.Model):
    """A smart meter installed at a premise."""

    premise = models.ForeignKey(Premise, on_delete=models.CASCADE, related_name="meters")
    meter_number = models.CharField(max_length=40, unique=True)
    installed_on = models.DateField()
    removed_on = models.DateField(null=True, blank=True)
    starting_register_kwh = models.DecimalField(max_digits=12, decimal_places=3, default=0)
    han_capable = models.BooleanField("HAN capable", default=True)

    class Meta:
        ordering = ["premise", "installed_on"]

    def __str__(self):
        return self.meter_number

    def clean(self):
        if self.removed_on and self.removed_on < self.installed_on:
            raise ValidationError({"removed_on": "A meter cannot be removed before it was installed."})


# --- Interval data ingest and storage. Values live in a compact binary codec (usage/codec.py).


class Channel(models.IntegerChoices):
    CONSUMPTION = 1, "Consumption"
    GENERATION = 2, "Surplus Generation"


class IngestFile(models.Model):
    """One delivered TDU file and what became of it: the ingest report."""

    class Kind(models.TextChoices):
        INTERVAL = "interval", "15-minute intervals"
        BILLING = "billing", "Billing-period totals"

    class Status(models.TextChoices):
        PROCESSING = "processing", "Processing"
        LOADED = "loaded", "Loaded"
        LOADED_WITH_REJECTS = "loaded_with_rejects", "Loaded, some rows rejected"
        DUPLICATE = "duplicate", "Already loaded (same content)"
        FAILED = "failed", "File rejected"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INTERVAL)
    tdu = models.ForeignKey(Tdu, null=True, blank=True, on_delete=models.PROTECT, related_name="ingest_files")
    name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    size_bytes = models.BigIntegerField(default=0)
    received_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROCESSING)
    message = models.TextField(blank=True, help_text="Why the file was rejected, or a note on the load.")
    rows = models.BigIntegerField(default=0)
    stored = models.BigIntegerField(default=0)
    rejected = models.BigIntegerField(default=0)
    superseded = models.BigIntegerField(default=0)
    rejected_by_reason = models.JSONField(default=dict, blank=True)
    seconds = models.FloatField(default=0)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    header = models.TextField(blank=True, help_text="The file's header line, to re-apply rejected rows.")
    announced_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When data.available was sent for this file; empty while the announcement is pending "
        "(a sweep sends it when the broker was unreachable at load time).",
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "ingest report"

    def __str__(self):
        return f"{self.name} ({self.get_status_display()})"


class RejectedRow(models.Model):
    """A row of a TDU file that could not be stored, kept with its reason so it can be re-applied."""

    file = models.ForeignKey(IngestFile, on_delete=models.CASCADE, related_name="rejected_rows")
    line_number = models.BigIntegerField()
    raw = models.TextField()
    reason = models.CharField(max_length=32, db_index=True)
    message = models.TextField()
    reapplied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["file", "line_number"]

    def __str__(self):
        return f"{self.file.name}:{self.line_number} {self.reason}"


class IntervalDay(models.Model):
    """One premise, one channel, one local day: its 92/96/100 values (Wh), flags and revision times."""

    pk = models.CompositePrimaryKey("premise_id", "channel", "day")
    premise = models.ForeignKey(
        Premise, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )
    channel = models.SmallIntegerField(choices=Channel.choices)
    day = models.DateField()
    data = models.BinaryField()
    # indexed: "which days did this file change" (data.available webhooks); day rows are short-lived
    source_file = models.ForeignKey(
        IngestFile, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )

    def __str__(self):
        return f"{self.premise_id}/{self.channel}/{self.day}"


class IntervalMonth(models.Model):
    """Settled days of one premise and channel in one calendar month, compacted into one block.

    ``day_mask`` has bit ``d - 1`` set for every day ``d`` of the month that the block holds; the block's
    values are those days' slots laid end to end."""

    pk = models.CompositePrimaryKey("premise_id", "channel", "month")
    premise = models.ForeignKey(
        Premise, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )
    channel = models.SmallIntegerField(choices=Channel.choices)
    month = models.DateField(help_text="The first day of the month.")
    day_mask = models.IntegerField()
    data = models.BinaryField()

    def __str__(self):
        return f"{self.premise_id}/{self.channel}/{self.month:%Y-%m}"


class BillingPeriod(models.Model):
    """Usage of one premise over one billing period as the TDU reports it to REPs.

    ``wh`` is None when the TDU reported the period as not available ("NA"): missing, not zero."""

    premise = models.ForeignKey(Premise, on_delete=models.CASCADE, related_name="billing_periods")
    start_date = models.DateField()
    end_date = models.DateField()
    wh = models.BigIntegerField(null=True, blank=True, help_text="Wh; empty when the TDU reported NA.")
    estimated = models.BooleanField(default=False)
    revised_at = models.DateTimeField()
    source_file = models.ForeignKey(
        IngestFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="billing_periods"
    )

    class Meta:
        ordering = ["premise", "start_date"]
        constraints = [
            models.UniqueConstraint(fields=["premise", "start_date"], name="billing_period_unique_start"),
        ]

    def __str__(self):
        return f"{self.premise_id} {self.start_date}..{self.end_date}"
