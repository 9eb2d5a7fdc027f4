"""People and the market: accounts, retail providers (REPs), who occupies a premise when, which accounts
registered which occupancy, and the on-demand meter reads people ask for."""

from datetime import date

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from usage.models import IngestFile, Meter, Premise


class User(AbstractUser):
    """A person who signs in with a username; e-mail addresses need not be unique.

    ``language`` is the one they chose with the header's switch (pages and e-mails); blank: their browser's."""

    language = models.CharField(max_length=8, blank=True, default="", choices=settings.LANGUAGES)

    class Meta:
        db_table = "portal_user"


class Rep(models.Model):
    """A retail electric provider, with the legal name the PUCT certifies."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        MERGED = "merged", "Merged into another entry"

    legal_name = models.CharField(max_length=200)
    brand = models.CharField(
        max_length=200,
        blank=True,
        help_text="The name customers know it by, printed on their bills (e.g. Cirro Energy).",
    )
    puct_certificate = models.CharField("PUCT certificate number", max_length=20, blank=True)
    duns = models.CharField("DUNS number", max_length=13, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    website = models.URLField(blank=True)
    search_key = models.CharField(max_length=200, editable=False, db_index=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_entries"
    )

    class Meta:
        ordering = ["legal_name"]
        verbose_name = "REP"
        verbose_name_plural = "REPs"
        constraints = [
            models.UniqueConstraint(
                fields=["puct_certificate"],
                condition=~Q(puct_certificate=""),
                name="rep_unique_puct_certificate",
            ),
        ]

    def __str__(self):
        return self.legal_name

    def save(self, *args, **kwargs):
        from portal.search import search_key

        self.search_key = search_key(self.legal_name)
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        """The brand the customer knows; the legal name when none is set (shown beside it otherwise)."""
        return self.brand or self.legal_name


class RepAlias(models.Model):
    """A name a REP trades under: DBA, brand, or a former name."""

    class Kind(models.TextChoices):
        DBA = "dba", "Doing business as"
        BRAND = "brand", "Brand"
        FORMER = "former", "Former name"

    rep = models.ForeignKey(Rep, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.BRAND)
    search_key = models.CharField(max_length=200, editable=False, db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "REP alias"
        verbose_name_plural = "REP aliases"
        constraints = [models.UniqueConstraint(fields=["rep", "search_key"], name="rep_alias_unique_per_rep")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        from portal.search import search_key

        self.search_key = search_key(self.name)
        super().save(*args, **kwargs)


class ServicePeriodQuerySet(models.QuerySet):
    def rep_of_record(self, rep, *, today: date):
        """The periods whose REP of record is ``rep`` (a Rep or its id) on ``today``: the one definition of
        "REP of record". A REP stays REP of record of a period while it is open or its move-out is still
        ahead (``ends_on > today``); a REP that switched out, or whose customer moved out, is no longer."""
        return self.filter(rep=rep).filter(Q(ends_on__isnull=True) | Q(ends_on__gt=today))


class ServicePeriod(models.Model):
    """Who occupies a premise from move-in to move-out, the REP of record, and the bill's registration code.

    The period covers local dates ``starts_on <= d < ends_on``; ``ends_on`` is the move-out date.
    """

    premise = models.ForeignKey(Premise, on_delete=models.PROTECT, related_name="service_periods")
    rep = models.ForeignKey(
        Rep, on_delete=models.PROTECT, related_name="service_periods", verbose_name="REP of record"
    )
    occupant_name = models.CharField(
        max_length=200, blank=True, help_text="Name on the REP's account, as printed on the bill."
    )
    starts_on = models.DateField("move-in date")
    ends_on = models.DateField("move-out date", null=True, blank=True)
    rep_since = models.DateField(
        "REP of record since",
        editable=False,
        help_text="When the current REP of record's tenure began: the move-in, or the latest switch.",
    )
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    registration_code_encrypted = models.BinaryField(editable=False)
    code_rotated_at = models.DateTimeField(editable=False)

    objects = ServicePeriodQuerySet.as_manager()

    class Meta:
        ordering = ["premise", "-starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["premise"],
                condition=Q(ends_on__isnull=True),
                name="one_open_service_period_per_premise",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gt=models.F("starts_on")),
                name="service_period_ends_after_start",
            ),
        ]

    def __str__(self):
        until = self.ends_on.isoformat() if self.ends_on else "now"
        return f"{self.premise.esiid} {self.starts_on.isoformat()} – {until}"

    def save(self, *args, **kwargs):
        if self.rep_since is None:
            self.rep_since = self.starts_on  # the first REP's tenure starts at move-in
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.ends_on is None

    @property
    def registration_code(self) -> str | None:
        from portal.codes import code_decrypt

        return code_decrypt(self.registration_code_encrypted)


class RepTenure(models.Model):
    """One REP's time as REP of record of one service period: the move-in starts the first, each switch ends
    the current one and starts the next (history kept). A REP reads a premise from its own tenure's start
    (``ServicePeriod.rep_since`` holds the current one's), never from before it served the occupant."""

    period = models.ForeignKey(ServicePeriod, on_delete=models.CASCADE, related_name="rep_tenures")
    rep = models.ForeignKey(Rep, on_delete=models.PROTECT, related_name="tenures", verbose_name="REP")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="The switch date; empty while current.")

    class Meta:
        ordering = ["period", "starts_on", "id"]
        verbose_name = "REP tenure"
        constraints = [
            models.UniqueConstraint(
                fields=["period"], condition=Q(ends_on__isnull=True), name="one_current_rep_tenure_per_period"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="rep_tenure_ends_after_start",
            ),
        ]

    def __str__(self):
        until = self.ends_on.isoformat() if self.ends_on else "now"
        return f"{self.rep} {self.starts_on.isoformat()} – {until}"


class PremiseRegistration(models.Model):
    """An account registered a premise during one service period (with that period's registration code).

    The account's window on the premise's data is derived from the period (portal.access_window); several
    accounts may register the same period (members of one household).
    """

    class Source(models.TextChoices):
        SIGNUP = "signup", "Sign-up"
        ADD_PREMISE = "add_premise", "Added from the account page"
        ADMIN = "admin", "Added by an administrator"
        APPROVED = "approved", "Approved by a household member"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="premise_registrations"
    )
    period = models.ForeignKey(ServicePeriod, on_delete=models.PROTECT, related_name="registrations")
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.SIGNUP)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "-period__starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["user", "period"], name="premise_registration_unique_per_period")
        ]

    def __str__(self):
        return f"{self.user} → {self.period}"


class MembershipRequest(models.Model):
    """An account that typed a registration code issued *before* the newest member of the occupancy joined asks
    to join it; an existing member approves (a ``PremiseRegistration`` is made) or declines. A code issued after
    the newest member joined admits its holder at once (portal.accounts.services.premise_join)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership_requests"
    )
    period = models.ForeignKey(ServicePeriod, on_delete=models.CASCADE, related_name="membership_requests")
    source = models.CharField(max_length=12, choices=PremiseRegistration.Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["period", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "period"], name="membership_request_unique_per_period")
        ]

    def __str__(self):
        return f"{self.user} asks to join {self.period}"


class KnownDevice(models.Model):
    """A browser an account has signed in from (a random id in a long-lived cookie, stored hashed); a sign-in
    from a browser not listed here e-mails the account holder (portal.accounts.devices)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="known_devices")
    key_hash = models.CharField(max_length=64)
    label = models.CharField(max_length=200, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key_hash"], name="known_device_unique_per_user")
        ]

    def __str__(self):
        return f"{self.user} on {self.label}"


class MeterReadRequest(models.Model):
    """One "read my meter now" request and the head-end's answer (a register reading, or why not)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the meter"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        REFUSED = "refused", "Refused: over the limit"  # never sent to the meter; does not count

    premise = models.ForeignKey(Premise, on_delete=models.CASCADE, related_name="read_requests")
    meter = models.ForeignKey(Meter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True, help_text="When the meter took the reading.")
    register_kwh = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    failure_code = models.CharField(max_length=32, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    adapter = models.CharField(max_length=200, blank=True, help_text="The head-end adapter that handled it.")
    since_last_kwh = models.DecimalField(
        max_digits=14, decimal_places=3, null=True, blank=True, help_text="Since this meter's previous read."
    )
    since_midnight_kwh = models.DecimalField(
        max_digits=14,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="Since local midnight, against the register estimated from stored data (approximate).",
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["premise", "-requested_at"], name="meterread_premise_requested")]
        verbose_name = "on-demand meter read"

    def __str__(self):
        return f"{self.premise_id} {self.requested_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def meaning(self) -> str:
        """What a completed reading means: "3.412 kWh since your last read · about 11.9 kWh since midnight"."""
        parts = []
        if self.since_last_kwh is not None:
            parts.append(gettext("%(kwh)s kWh since your last read") % {"kwh": f"{self.since_last_kwh:,.3f}"})
        if self.since_midnight_kwh is not None:
            parts.append(
                gettext("about %(kwh)s kWh since midnight") % {"kwh": f"{self.since_midnight_kwh:,.1f}"}
            )
        return " · ".join(parts)


class PersonalCredential(models.Model):
    """A resident's own credential (portal.accounts.tokens): a personal access token for /api/v1/ or an app
    password for the Smart Meter Texas compatibility sign-in. Shown once, stored as a SHA-256 digest."""

    class Kind(models.TextChoices):
        TOKEN = "token", _("Personal access token")
        APP_PASSWORD = "app_password", _("App password")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credentials")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.prefix}… ({self.name})"


class CompatSession(models.Model):
    """A token handed out by the Smart Meter Texas compatible sign-in (api.smtcompat): hashed, with a sliding
    expiry that each successful call pushes on."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"compatibility sign-in of user {self.user_id}"


class AlertSubscription(models.Model):
    """What one account wants to hear about one premise by e-mail (portal.alerts): a day's use over a
    threshold, the arrival of yesterday's data (off by default), a completed meter read."""

    class Kind(models.TextChoices):
        THRESHOLD = "threshold", "Daily use over a threshold"
        DATA_ARRIVED = "data_arrived", "Yesterday's data arrived"
        READ_COMPLETED = "read_completed", "Meter read completed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alerts")
    premise = models.ForeignKey(Premise, on_delete=models.CASCADE, related_name="+")
    threshold_kwh = models.DecimalField(
        "daily threshold, kWh",
        max_digits=9,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="E-mail when a day's consumption passes this; empty: no threshold alert.",
    )
    on_data_arrived = models.BooleanField("when yesterday's data arrives", default=False)
    on_read_completed = models.BooleanField("when a meter read completes", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "premise"], name="alert_subscription_unique_per_premise")
        ]
        indexes = [models.Index(fields=["premise"], name="alert_subscription_premise")]

    def __str__(self):
        return f"{self.user} alerts for {self.premise_id}"

    def wants(self, kind: str) -> bool:
        if kind == self.Kind.THRESHOLD:
            return self.threshold_kwh is not None
        if kind == self.Kind.DATA_ARRIVED:
            return self.on_data_arrived
        return self.on_read_completed


class AlertSent(models.Model):
    """An alert e-mail handed to the mail queue: the record that makes each one go out once, whatever
    reloads, re-deliveries and task retries happen (threshold and data alerts once per subscription and
    day, read alerts once per read)."""

    subscription = models.ForeignKey(AlertSubscription, on_delete=models.CASCADE, related_name="sent")
    kind = models.CharField(max_length=16, choices=AlertSubscription.Kind.choices)
    day = models.DateField(null=True, blank=True, help_text="The day of use the alert is about.")
    read = models.ForeignKey(
        MeterReadRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "kind", "day"],
                condition=Q(day__isnull=False),
                name="alert_sent_once_per_day",
            ),
            models.UniqueConstraint(
                fields=["subscription", "read"],
                condition=Q(read__isnull=False),
                name="alert_sent_once_per_read",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.day or self.read_id} to {self.subscription_id}"


class AlertCheck(models.Model):
    """A loaded file or a completed read whose alerts were worked out (by the task, once it ran): the
    sweep (portal.alerts.sweep) enqueues the task again for those without one, so a broker refusing the task
    at load time loses nothing. AlertSent, not this row, keeps each e-mail to one."""

    file = models.OneToOneField(IngestFile, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    read = models.OneToOneField(
        MeterReadRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(file__isnull=False, read__isnull=True) | Q(file__isnull=True, read__isnull=False),
                name="alert_check_file_or_read",
            ),
        ]

    def __str__(self):
        return f"alerts checked for {'file ' + str(self.file_id) if self.file_id else 'read ' + str(self.read_id)}"


# The bills models live beside their services; importing them here registers them with the app.
from portal.bills.models import BillPlan, TduTariff  # noqa: E402, F401
