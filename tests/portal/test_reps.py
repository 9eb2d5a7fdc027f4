"""REPs: aliases, merges, and the "find your provider" search (public page and admin) on the seed's cases."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from demo.reps import DEMO_REPS, demo_reps_ensure
from portal.models import Rep, RepAlias, ServicePeriod
from portal.search import search_key
from portal.selectors import rep_search
from portal.services import rep_alias_add, rep_create, rep_merge, service_period_move_in
from portal.signals import rep_merged
from usage.services import premise_create, tdus_ensure

RELIANT = "Reliant Energy Retail Services LLC"
US_RETAILERS = "US Retailers LLC"
TXU = "TXU Energy Retail Company LLC"


@pytest.fixture
def reps(db):
    return demo_reps_ensure()


def _names(matches):
    return [m.rep.legal_name for m in matches]


def test_search_key_ignores_case_punctuation_spacing_and_accents():
    assert search_key("Reliant Energy, Inc.") == "reliantenergyinc"
    assert search_key("T.X.U.") == "txu"
    assert search_key("  Tri-Eagle  ") == "trieagle"
    assert search_key("Énergie & Co") == "energieandco"
    assert search_key("...") == ""


# --- The demo REPs ------------------------------------------------------------------------------------------------


def test_demo_reps_are_a_dozen_real_providers_with_certificates(reps):
    assert len(reps) >= 12
    assert Rep.objects.count() == len(DEMO_REPS)
    assert all(rep.puct_certificate.isdigit() for rep in reps.values())
    assert len({rep.puct_certificate for rep in reps.values()}) == len(reps)
    for name in ("Green Mountain Energy", "Direct Energy", "Champion Energy", "Gexa Energy", "TriEagle Energy",
                 "4Change Energy", "Just Energy", "Frontier Utilities", "Express Energy"):  # fmt: skip
        assert len(rep_search(name)) == 1, name


def test_demo_reps_ensure_is_idempotent(reps):
    aliases = RepAlias.objects.count()
    demo_reps_ensure()
    assert Rep.objects.count() == len(DEMO_REPS)
    assert RepAlias.objects.count() == aliases


# --- Search (the seed's cases) ------------------------------------------------------------------------------------


def test_reliant_shows_one_company_with_its_brand_names_not_five_look_alikes(reps):
    matches = rep_search("Reliant")
    assert _names(matches) == [RELIANT]
    brands = matches[0].brand_names
    for look_alike in (
        "Reliant Energy",
        "Reliant Energy Retail",
        "Reliant Energy Retail Services LLC (LSE)",
        "Reliant Energy Retail Services LLC dba Reliant Energy Solutions",
        "Reliant Energy Solutions",
    ):
        assert look_alike in brands
        assert _names(rep_search(look_alike)) == [RELIANT]


def test_cirro_finds_us_retailers_doing_business_as_cirro_energy(reps):
    matches = rep_search("Cirro")
    assert _names(matches) == [US_RETAILERS]
    assert "Cirro Energy" in matches[0].brand_names
    assert matches[0].matched_name in ("Cirro", "Cirro Energy")
    assert _names(rep_search("US RETAILERS LLC (LSE)")) == [US_RETAILERS]
    assert _names(rep_search("u.s. retailers")) == [US_RETAILERS]


@pytest.mark.parametrize(
    "query", ["txu", "TXU", "T.X.U.", "t x u energy", "TXU Energy Retail Company, L.L.C."]
)
def test_txu_is_found_however_it_is_typed(reps, query):
    assert _names(rep_search(query)) == [TXU]


def test_search_of_nothing_or_punctuation_only_finds_nothing(reps):
    assert rep_search("") == []
    assert rep_search(" .-, ") == []
    assert rep_search("Nonexistent Power Co") == []


def test_public_provider_page_shows_one_entry_per_company(client, reps):
    page = client.get("/providers/", {"q": "reliant"}).content.decode()
    # by the brand people know, with the legal name beside it
    assert page.count(f'<h2 class="h3">Reliant Energy <span class="muted">({RELIANT})</span></h2>') == 1
    assert page.count('<li class="card">') == 1
    assert "Reliant Energy Solutions" in page
    assert "10007" in page

    page = client.get("/providers/", {"q": "Cirro"}).content.decode()
    assert US_RETAILERS in page and "Cirro Energy" in page
    page = client.get("/providers/", {"q": "T.X.U."}).content.decode()
    assert TXU in page
    response = client.get("/providers/", {"q": "zzzz"})
    assert response.status_code == 200
    assert "No provider matches" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"), [("Reliant", RELIANT), ("cirro", US_RETAILERS), ("t.x.u", TXU)]
)
def test_admin_search_matches_aliases_and_shows_one_row_per_rep(admin_client, reps, query, expected):
    response = admin_client.get("/admin/portal/rep/", {"q": query})
    assert response.status_code == 200
    result_list = response.context["cl"].result_list
    assert [r.legal_name for r in result_list] == [expected]


# --- Services and their bad input ---------------------------------------------------------------------------------


def test_rep_create_refuses_a_duplicate_certificate_and_an_empty_name(reps):
    count = Rep.objects.count()
    with pytest.raises(ValidationError) as exc:
        rep_create(legal_name="Another Reliant LLC", puct_certificate="10007")
    assert "PUCT certificate" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError) as exc:
        rep_create(legal_name="")
    assert "legal_name" in exc.value.message_dict
    assert Rep.objects.count() == count


def test_an_alias_differing_only_in_case_or_punctuation_is_the_same_alias(reps):
    rep = reps[RELIANT]
    count = rep.aliases.count()
    alias = rep_alias_add(rep=rep, name="RELIANT  ENERGY")
    assert alias.name == "Reliant Energy"
    assert rep.aliases.count() == count
    with pytest.raises(ValidationError):
        rep_alias_add(rep=rep, name=" - ")
    assert rep.aliases.count() == count


@pytest.fixture
def duplicate(db):
    """An entry for Reliant entered a second time under one of SMT's look-alike names, with a customer."""
    rep = rep_create(
        legal_name="RELIANT ENERGY RETAIL SERVICES LLC DBA RELIANT ENERGY SOLUTIONS",
        duns="123456789",
        aliases=[
            ("Reliant Business Solutions", RepAlias.Kind.BRAND),
            ("Reliant Energy", RepAlias.Kind.BRAND),
        ],
    )
    oncor = next(t for t in tdus_ensure() if t.short_name == "Oncor")
    premise = premise_create(
        tdu=oncor, esiid="10443720000000001", address_line1="1 Oak St", city="Dallas", zip_code="75201"
    )
    service_period_move_in(premise=premise, rep=rep, starts_on=date(2024, 1, 1))
    return rep


def test_merge_moves_aliases_and_service_periods_and_keeps_the_name_as_an_alias(reps, duplicate):
    survivor = reps[RELIANT]
    received = []
    rep_merged.connect(lambda sender, **kw: received.append(kw), weak=False, dispatch_uid="t-merge")
    try:
        rep_merge(survivor=survivor, duplicate=duplicate)
    finally:
        rep_merged.disconnect(dispatch_uid="t-merge")
    duplicate.refresh_from_db()
    survivor.refresh_from_db()
    assert duplicate.status == Rep.Status.MERGED
    assert duplicate.merged_into == survivor
    assert duplicate.aliases.count() == 0
    names = set(survivor.aliases.values_list("name", flat=True))
    assert {
        "Reliant Business Solutions",
        "RELIANT ENERGY RETAIL SERVICES LLC DBA RELIANT ENERGY SOLUTIONS",
    } <= names or {
        "Reliant Business Solutions",
        "Reliant Energy Retail Services LLC dba Reliant Energy Solutions",
    } <= names
    assert survivor.aliases.get(search_key="reliantbusinesssolutions")
    assert ServicePeriod.objects.filter(rep=duplicate).count() == 0
    assert ServicePeriod.objects.filter(rep=survivor).count() == 1
    assert survivor.duns == "123456789"  # the survivor had none: it takes the duplicate's
    assert received == [{"signal": rep_merged, "survivor": survivor, "duplicate": duplicate}]
    # The merged entry no longer appears in searches; the survivor is found by the duplicate's names.
    assert _names(rep_search("Reliant")) == [RELIANT]
    assert _names(rep_search("Reliant Business Solutions")) == [RELIANT]


def test_merge_keeps_the_former_legal_name_as_an_alias(reps):
    survivor = reps[US_RETAILERS]
    dup = rep_create(legal_name="Cirro Group Inc")
    rep_merge(survivor=survivor, duplicate=dup)
    alias = survivor.aliases.get(search_key="cirrogroupinc")
    assert alias.kind == RepAlias.Kind.FORMER
    match = rep_search("Cirro Group")[0]
    assert match.rep == survivor
    assert "Cirro Group Inc" not in match.brand_names  # former names find the REP but are not brands


def test_merge_into_itself_is_refused_and_changes_nothing(reps):
    rep = reps[RELIANT]
    aliases = sorted(rep.aliases.values_list("name", flat=True))
    with pytest.raises(ValidationError) as exc:
        rep_merge(survivor=rep, duplicate=Rep.objects.get(pk=rep.pk))
    assert "cannot be merged into itself" in " ".join(exc.value.messages)
    rep.refresh_from_db()
    assert rep.status == Rep.Status.ACTIVE
    assert sorted(rep.aliases.values_list("name", flat=True)) == aliases


def test_merging_twice_or_into_a_merged_entry_is_refused(reps, duplicate):
    survivor = reps[RELIANT]
    rep_merge(survivor=survivor, duplicate=duplicate)
    duplicate.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        rep_merge(survivor=reps[TXU], duplicate=duplicate)
    assert "already merged" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError) as exc:
        rep_merge(survivor=duplicate, duplicate=reps[TXU])
    assert f"merge into {survivor} instead" in " ".join(exc.value.messages)
    assert Rep.objects.get(pk=reps[TXU].pk).status == Rep.Status.ACTIVE


# --- Admin merge action, end to end --------------------------------------------------------------------------------


def test_admin_merge_action(admin_client, reps, duplicate):
    survivor = reps[RELIANT]
    response = admin_client.post(
        "/admin/portal/rep/",
        {"action": "merge_selected", "_selected_action": [survivor.pk, duplicate.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert f"Merged 1 entry into {survivor}" in response.content.decode()
    duplicate.refresh_from_db()
    assert duplicate.status == Rep.Status.MERGED
    assert duplicate.merged_into == survivor
    assert ServicePeriod.objects.get().rep == survivor
    response = admin_client.get("/admin/portal/rep/", {"q": "reliant"})
    assert [r.pk for r in response.context["cl"].result_list] == [survivor.pk]
    response = admin_client.get("/admin/portal/rep/", {"q": "reliant", "status__exact": "merged"})
    assert [r.pk for r in response.context["cl"].result_list] == [duplicate.pk]  # kept, for the record


def test_admin_merge_action_with_one_entry_explains_and_changes_nothing(admin_client, reps):
    rep = reps[RELIANT]
    response = admin_client.post(
        "/admin/portal/rep/", {"action": "merge_selected", "_selected_action": [rep.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "Select two or more entries" in response.content.decode()
    rep.refresh_from_db()
    assert rep.status == Rep.Status.ACTIVE


def test_admin_merge_action_refusal_is_shown_not_a_500(admin_client, reps, duplicate):
    survivor = reps[RELIANT]
    rep_merge(survivor=survivor, duplicate=duplicate)
    response = admin_client.post(
        "/admin/portal/rep/",
        {"action": "merge_selected", "_selected_action": [reps[TXU].pk, duplicate.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "already merged" in response.content.decode()
    assert Rep.objects.get(pk=reps[TXU].pk).aliases.filter(search_key__contains="reliant").count() == 0


def test_admin_alias_inline_refuses_names_equal_up_to_punctuation(admin_client, reps):
    rep = reps[US_RETAILERS]
    aliases = list(rep.aliases.order_by("pk"))
    data = {
        "legal_name": rep.legal_name,
        "puct_certificate": rep.puct_certificate,
        "duns": "",
        "status": "active",
        "website": rep.website,
        "aliases-TOTAL_FORMS": str(len(aliases) + 1),
        "aliases-INITIAL_FORMS": str(len(aliases)),
        "aliases-MIN_NUM_FORMS": "0",
        "aliases-MAX_NUM_FORMS": "1000",
    }
    for i, alias in enumerate(aliases):
        data.update({f"aliases-{i}-id": alias.pk, f"aliases-{i}-rep": rep.pk, f"aliases-{i}-name": alias.name,
                     f"aliases-{i}-kind": alias.kind})  # fmt: skip
    n = len(aliases)
    data.update(
        {f"aliases-{n}-rep": rep.pk, f"aliases-{n}-name": "CIRRO-ENERGY", f"aliases-{n}-kind": "brand"}
    )
    response = admin_client.post(f"/admin/portal/rep/{rep.pk}/change/", data)
    assert response.status_code == 200
    assert "is the same name as" in response.content.decode()
    assert rep.aliases.count() == len(aliases)


def test_every_demo_rep_has_the_brand_its_customers_know(reps):
    assert reps["US Retailers LLC"].display_name == "Cirro Energy"
    assert all(rep.brand for rep in reps.values())
