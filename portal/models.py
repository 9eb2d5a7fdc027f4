"""People and the market: accounts, retail providers (REPs) and who occupies a premise when."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from usage.models import Premise


class User(AbstractUser):
    """A person who signs in with a username; e-mail addresses need not be unique."""

    class Meta:
        db_table = "portal_user"


class Rep(models.Model):
    """A retail electric provider, with the legal name the PUCT certifies."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        MERGED = "merged", "Merged into another entry"

    legal_name = models.CharField(max_length=200)
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
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    registration_code_encrypted = models.BinaryField(editable=False)
    code_rotated_at = models.DateTimeField(editable=False)

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

    @property
    def is_open(self) -> bool:
        return self.ends_on is None

    @property
    def registration_code(self) -> str | None:
        from portal.codes import code_decrypt

        return code_decrypt(self.registration_code_encrypted)


from portal.models_accounts import *  # noqa: E402, F403
from portal.models_reads import *  # noqa: E402, F403
