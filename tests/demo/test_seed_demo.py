"""seed_demo (CONTRACTS): the demo market, customers, third party and interval data; safe to run twice."""

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.core.management.base import CommandError

from demo.customers import BUSINESS, DEMO, DEMO_LOGINS, FORMER, HOUSEHOLD, NEWCOMER_NAME
from demo.thirdparty import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, SCOPES
from han.models import Device
from portal.models import PremiseRegistration, Rep, ServicePeriod
from portal.selectors import rep_search, service_period_current, service_period_for_code
from thirdparty.models import Application, Organization
from usage.models import IngestFile, IntervalDay, Meter, Premise, Tdu

METERS, DAYS = 12, 3


def _counts():
    return {
        "tdus": Tdu.objects.count(),
        "reps": Rep.objects.count(),
        "premises": Premise.objects.count(),
        "meters": Meter.objects.count(),
        "periods": ServicePeriod.objects.count(),
        "users": get_user_model().objects.count(),
        "emails": EmailAddress.objects.count(),
        "registrations": PremiseRegistration.objects.count(),
        "organizations": Organization.objects.count(),
        "applications": Application.objects.count(),
        "files": IngestFile.objects.count(),
        "days": IntervalDay.objects.count(),
        "devices": Device.objects.count(),
    }


@pytest.fixture
def seeded(db, settings, tmp_path):
    settings.SMT_INBOX_DIR = tmp_path / "inbox"
    out = StringIO()
    call_command("seed_demo", "--meters", str(METERS), "--days", str(DAYS), stdout=out)
    return out.getvalue()


def _check_seed_demo_builds_the_market(seeded):
    assert Tdu.objects.count() == 5
    assert Rep.objects.count() >= 12
    assert [m.rep.legal_name for m in rep_search("Reliant")] == ["Reliant Energy Retail Services LLC"]
    assert [m.rep.legal_name for m in rep_search("Cirro")] == ["US Retailers LLC"]
    assert Premise.objects.count() == METERS
    assert Meter.objects.count() == METERS
    assert Premise.objects.filter(esiid__regex=r"^1008901\d{15}$").exists()  # CenterPoint: 22 digits
    for premise in Premise.objects.all():  # every premise has an occupant and a REP of record
        assert service_period_current(premise) is not None, premise


def _check_seed_demo_has_a_premise_that_changed_occupant_mid_year(seeded):
    former = ServicePeriod.objects.get(occupant_name=FORMER.name)
    assert former.ends_on is not None
    newcomer = service_period_current(former.premise)
    assert newcomer.occupant_name == NEWCOMER_NAME
    assert newcomer.starts_on > former.ends_on
    assert newcomer.rep != former.rep
    assert service_period_for_code(premise=former.premise, code=newcomer.registration_code) == newcomer


def _check_seed_demo_customers_can_sign_in_with_verified_addresses_and_premises(seeded, client):
    User = get_user_model()
    for login in DEMO_LOGINS:
        user = User.objects.get(username=login.username)
        assert check_password(login.password, user.password), login.username
        assert len(login.password) >= 12
        address = EmailAddress.objects.get(user=user, primary=True)
        assert address.verified and address.email == login.email
    assert User.objects.get(username="admin").is_superuser

    home = PremiseRegistration.objects.get(user__username=DEMO.username).period
    assert home.is_open and home.occupant_name == DEMO.name
    assert PremiseRegistration.objects.get(user__username=HOUSEHOLD.username).period == home
    former = PremiseRegistration.objects.get(user__username=FORMER.username).period
    assert not former.is_open
    business = PremiseRegistration.objects.filter(user__username=BUSINESS.username)
    assert business.count() >= 3
    assert len({r.period.premise_id for r in business}) == business.count()

    assert client.login(username=DEMO.username, password=DEMO.password)


def _check_seed_demo_third_party_is_approved_with_a_confidential_oauth_app(seeded):
    app = Application.objects.get(client_id=CLIENT_ID)
    assert app.organization.status == Organization.Status.APPROVED
    assert app.client_type == Application.CLIENT_CONFIDENTIAL
    assert app.authorization_grant_type == Application.GRANT_AUTHORIZATION_CODE
    assert app.redirect_uris == REDIRECT_URI
    assert app.allowed_scopes == SCOPES
    assert app.client_secret != CLIENT_SECRET  # stored hashed
    assert check_password(CLIENT_SECRET, app.client_secret)
    assert app.organization.members.filter(username="developer").exists()


def _check_seed_demo_loads_the_interval_files_through_the_inbox(seeded, settings):
    files = IngestFile.objects.all()
    assert files.count() == 5 * DAYS  # the first five synthetic premises cover every TDU
    assert {f.status for f in files} == {IngestFile.Status.LOADED}
    assert IntervalDay.objects.values("premise_id").distinct().count() == METERS
    assert IntervalDay.objects.filter(channel=1).count() == METERS * DAYS
    assert not any(settings.SMT_INBOX_DIR.iterdir())  # claimed and processed, like the Celery task does
    assert not (settings.SMT_INBOX_DIR.parent / "demo-staging").exists()
    processed = sorted(p.name for p in (settings.SMT_INBOX_DIR.parent / "processed").iterdir())
    assert len(processed) == 5 * DAYS
    assert all(name.endswith("_INTERVAL.csv.gz") for name in processed)


def _check_seed_demo_prints_what_it_did_and_the_logins(seeded):
    assert sorted(Device.objects.values_list("status", flat=True)) == ["failed", "joined", "removed"]
    for fragment in (
        "TDUs: 5",
        "in-home devices: 3 new",
        "REPs:",
        "service periods:",
        CLIENT_ID,
        CLIENT_SECRET,
        "http://127.0.0.1:8000/",
    ):
        assert fragment in seeded
    for login in DEMO_LOGINS:
        assert login.username in seeded and login.password in seeded


def test_seed_demo_builds_everything_and_is_safe_to_run_twice(seeded, settings, client):
    """One seeding for the whole file: seed_demo with loading takes seconds."""
    _check_seed_demo_builds_the_market(seeded)
    _check_seed_demo_has_a_premise_that_changed_occupant_mid_year(seeded)
    _check_seed_demo_customers_can_sign_in_with_verified_addresses_and_premises(seeded, client)
    _check_seed_demo_third_party_is_approved_with_a_confidential_oauth_app(seeded)
    _check_seed_demo_loads_the_interval_files_through_the_inbox(seeded, settings)
    _check_seed_demo_prints_what_it_did_and_the_logins(seeded)
    _check_demo_logins_prints_the_table_and_the_url(seeded)

    before = _counts()
    out = StringIO()
    call_command("seed_demo", "--meters", str(METERS), "--days", str(DAYS), stdout=out)
    assert _counts() == before
    assert "every day was loaded before" in out.getvalue()


def _check_demo_logins_prints_the_table_and_the_url(seeded):
    out = StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/" in text
    for login in DEMO_LOGINS:
        assert login.username in text and login.password in text
    assert NEWCOMER_NAME in text  # with an ESI ID and code to try the sign-up


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"), [(["--meters", "2"], "at least 5"), (["--days", "0"], "at least 1")]
)
def test_seed_demo_refuses_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("seed_demo", *args, stdout=StringIO())


# --- Interval delivery: daily files for the last month, monthly history files before ------------------------------


def test_plan_deliveries_daily_recent_days_and_one_history_file_per_month_before():
    from datetime import date, timedelta

    from demo import intervals

    end = date(2025, 3, 10)
    days = [end - timedelta(days=k) for k in range(70)]  # Dec 31 .. Mar 10
    plan = intervals.plan_deliveries(missing={"957877905": days}, end=end)
    names = [d.name for d in plan]
    daily = [n for n in names if n.endswith("_INTERVAL.csv")]
    history = [n for n in names if "_HISTORY_" in n]
    assert len(daily) == intervals.DAILY_DAYS
    assert daily[-1] == "957877905_20250310_INTERVAL.csv"
    assert history == [
        "957877905_20241231_HISTORY_20241231.csv",
        "957877905_20250131_HISTORY_20250101.csv",
        "957877905_20250207_HISTORY_20250201.csv",
    ]
    covered = sorted(day for d in plan for day in d.days)
    assert covered == sorted(days)


@pytest.mark.django_db
def test_interval_data_ensure_delivers_history_and_daily_files_and_fills_only_gaps(
    settings, tmp_path, monkeypatch
):
    from datetime import date

    from demo import intervals
    from usage.services import synthetic_premises_register, tdus_ensure
    from usage.synth import synth_premises

    settings.SMT_INBOX_DIR = tmp_path / "inbox"
    monkeypatch.setattr(intervals, "DAILY_DAYS", 2)
    tdus_ensure()
    premises = synth_premises(6, 7, install_before=date(2025, 1, 1))
    synthetic_premises_register(premises=premises)

    result = intervals.interval_data_ensure(premises=premises, start=date(2025, 1, 29), days=5, seed=7)
    assert result.files_failed == []
    names = set(IngestFile.objects.values_list("name", flat=True))
    assert "1039940674000_20250131_HISTORY_20250129.csv.gz" in names  # Jan 29-31 in one file per TDU
    assert "1039940674000_20250202_INTERVAL.csv.gz" in names
    assert "1039940674000_20250201_INTERVAL.csv.gz" in names
    assert len(names) == 5 * 3
    assert IntervalDay.objects.filter(channel=1).count() == 6 * 5

    again = intervals.interval_data_ensure(premises=premises, start=date(2025, 1, 29), days=5, seed=7)
    assert again.files_written == 0 and IngestFile.objects.count() == 15

    later = intervals.interval_data_ensure(premises=premises, start=date(2025, 1, 29), days=6, seed=7)
    assert later.days_generated == 1 and later.files_loaded == 5  # only Feb 3, for each TDU
    assert IntervalDay.objects.filter(channel=1).count() == 6 * 6
    assert not (tmp_path / "demo-staging").exists()
