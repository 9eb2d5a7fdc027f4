"""tools/i18n_check.py, the Spanish check of ``make lint``: it flags what a resident would read in English and
accepts what is marked; the committed catalogue passes it."""

import shutil
import sys
from pathlib import Path

import polib
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import i18n_check


def texts(problems):
    return [p.text for p in problems]


def test_an_unmarked_heading_is_flagged_with_its_line():
    problems = i18n_check.template_problems("{% load i18n %}\n<main>\n<h1>Your usage</h1></main>", "t.html")
    assert [(p.line, p.text) for p in problems] == [(3, "unmarked text: Your usage")]


def test_marked_text_variables_and_allowed_words_pass():
    source = (
        "{% load i18n %}<h1>{% translate 'Your usage' %}</h1><p>{{ kwh }} kWh · ESI ID {{ esiid }}</p>"
        "<p>{% blocktranslate %}Hello {{ name }}, welcome{% endblocktranslate %}</p>"
        "{% comment %}Not shown to anyone{% endcomment %}{# nor this #}<script>const a = 'text';</script>"
    )
    assert i18n_check.template_problems(source, "t.html") == []


def test_attributes_people_read_are_checked_and_markup_is_not():
    source = (
        '<img alt="A chart of your usage" src="x.png"><input type="submit" value="Download">'
        '<button name="action" value="change">{% translate "Change" %}</button>'
        '<td data-label="Address">{{ value }}</td><a class="button secondary" href="/x/">{% translate "Go" %}</a>'
    )
    found = texts(i18n_check.template_problems(source, "t.html"))
    assert found == [
        'unmarked text: img alt="A chart of your usage"',
        'unmarked text: input value="Download"',
        'unmarked text: td data-label="Address"',
    ]


def test_a_tag_inside_an_html_tag_is_not_text():
    source = '<textarea{% if required %} required{% endif %} name="n"></textarea>'
    assert i18n_check.template_problems(source, "t.html") == []


def test_email_text_is_all_read():
    problems = i18n_check.template_problems(
        "{% load i18n %}{% translate 'Hello' %}\n\nYour code: {{ code }}", "m.txt"
    )
    assert texts(problems) == ["unmarked text: Your code:"]


def test_python_literals_where_people_read_them_are_flagged():
    source = """
from django import forms
from django.contrib import messages
from django.utils.translation import gettext as _

HELP = "Printed on your bill."

class F(forms.Form):
    code = forms.CharField(label="Registration code", help_text=HELP)
    name = forms.CharField(label=_("Name"))

def view(request, n):
    messages.success(request, f"Added {n} premises.")
    messages.info(request, _("Done."))
    raise forms.ValidationError("That is not your password.", code="x")

def internal():
    raise RegistrationRefused(_("Marked."))
    log.info("not for people", extra={"label": "fine"})
"""
    found = texts(i18n_check.python_problems(source, "m.py"))
    assert found == [
        "help_text not marked for translation: 'Printed on your bill.'",
        "label not marked for translation: 'Registration code'",
        "message not marked for translation: 'Added  premises.'",
        "ValidationError message not marked for translation: 'That is not your password.'",
    ]


def test_an_opt_out_comment_skips_a_line():
    source = 'messages.warning(request, "Staff only: turn on 2FA.")  # i18n: not user-facing\n'
    assert i18n_check.python_problems(source, "m.py") == []


def _catalogue(tmp_path, entries):
    po = polib.POFile()
    po.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Plural-Forms": "nplurals=2; plural=(n != 1);",
    }
    for entry in entries:
        po.append(entry)
    path = tmp_path / "django.po"
    po.save(str(path))
    return path, po


def test_untranslated_fuzzy_missing_and_stale_entries_fail(tmp_path):
    fuzzy = polib.POEntry(msgid="Usage", msgstr="Consumo", flags=["fuzzy"])
    path, po = _catalogue(
        tmp_path,
        [polib.POEntry(msgid="Sign in", msgstr=""), fuzzy, polib.POEntry(msgid="Old", msgstr="Viejo")],
    )
    po.save_as_mofile(str(path.with_suffix(".mo")))
    extracted = {("", "Sign in", ""), ("", "Usage", ""), ("", "New text", "")}
    found = " | ".join(texts(i18n_check.catalogue_problems(path, extracted)))
    assert "untranslated: 'Sign in'" in found
    assert "fuzzy (check it, then drop the flag): 'Usage'" in found
    assert "missing (run makemessages -l es): 'New text'" in found
    assert "no longer in the sources (run makemessages): 'Old'" in found
    assert "django.mo differs" not in found  # compiled from this .po


def test_a_mo_not_compiled_from_the_po_fails(tmp_path):
    path, po = _catalogue(tmp_path, [polib.POEntry(msgid="Sign in", msgstr="Entrar")])
    po.save_as_mofile(str(path.with_suffix(".mo")))
    po[0].msgstr = "Iniciar sesión"
    po.save(str(path))
    assert texts(i18n_check.catalogue_problems(path, {("", "Sign in", "")})) == [
        "django.mo differs from django.po (msgfmt -o django.mo django.po)"
    ]


def test_a_complete_catalogue_with_its_mo_passes(tmp_path):
    path, po = _catalogue(tmp_path, [polib.POEntry(msgid="Sign in", msgstr="Iniciar sesión")])
    po.save_as_mofile(str(path.with_suffix(".mo")))
    assert i18n_check.catalogue_problems(path, {("", "Sign in", "")}) == []
    path.with_suffix(".mo").unlink()
    assert texts(i18n_check.catalogue_problems(path, None)) == [
        "django.mo is missing (msgfmt -o django.mo django.po)"
    ]


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext's xgettext is not installed")
def test_the_project_passes_its_own_check(capsys):
    """What ``make lint`` runs: the committed sources and catalogue pass (pending pages are listed, not hidden)."""
    assert i18n_check.main([]) == 0, capsys.readouterr().out


def test_tu_forms_are_found_and_usted_forms_pass():
    assert i18n_check.informal_words("Introdúcelo en tu navegador; si no te llegó, inténtalo") == [
        "Introdúcelo",
        "tu",
        "te",
        "inténtalo",
    ]
    assert i18n_check.informal_words("Si usted confía en su navegador, escríbalo ahí. ¿Ya la confirmó?") == []
    assert i18n_check.informal_words("Hola %(tu)s {te}") == []  # placeholders are not words


def _allauth_files(tmp_path):
    """allauth's catalogue (one entry from a part we use with a context, one plural, one from socialaccount)
    and our main catalogue (which already words "Cancel")."""
    source = polib.POFile()
    source.append(
        polib.POEntry(
            msgctxt="action", msgid="Change Phone", msgstr="", occurrences=[("templates/account/x.html", "3")]
        )
    )
    source.append(
        polib.POEntry(
            msgid="%(n)s key",
            msgid_plural="%(n)s keys",
            msgstr_plural={0: "", 1: "", 2: ""},
            flags=["python-format", "fuzzy"],
            occurrences=[("templates/mfa/index.html", "9")],
        )
    )
    source.append(polib.POEntry(msgid="Cancel", msgstr="Cancelar", occurrences=[("account/forms.py", "1")]))
    source.append(
        polib.POEntry(msgid="Connect", msgstr="Conectar", occurrences=[("socialaccount/forms.py", "1")])
    )
    source.save(str(tmp_path / "allauth.po"))
    main = polib.POFile()
    main.append(polib.POEntry(msgid="Cancel", msgstr="Cancelar"))
    main.save(str(tmp_path / "main.po"))
    return tmp_path / "allauth.po", tmp_path / "main.po"


def test_the_allauth_override_is_built_from_the_parts_we_use(tmp_path):
    source, main = _allauth_files(tmp_path)
    override = tmp_path / "override" / "django.po"
    assert i18n_check.allauth_update(override, source, main) == (2, 0)
    po = polib.pofile(str(override))
    assert [(e.msgctxt, e.msgid, e.msgid_plural, e.msgstr, e.flags) for e in po] == [
        (None, "%(n)s key", "%(n)s keys", "", ["python-format"]),
        ("action", "Change Phone", "", "", []),
    ]
    assert po.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert po[1].occurrences == [("templates/account/x.html", "")]
    found = " | ".join(texts(i18n_check.allauth_problems(override, source, main)))
    assert "untranslated: '%(n)s key'" in found and "untranslated: 'Change Phone'" in found


def test_the_allauth_override_fails_when_untranslated_fuzzy_tu_stale_missing_or_not_compiled(tmp_path):
    source, main = _allauth_files(tmp_path)
    path, po = _catalogue(
        tmp_path,
        [
            polib.POEntry(msgctxt="action", msgid="Change Phone", msgstr="Cambia tu teléfono"),
            polib.POEntry(msgid="Gone", msgstr="Ido"),
        ],
    )
    po.save_as_mofile(str(path.with_suffix(".mo")))
    found = " | ".join(texts(i18n_check.allauth_problems(path, source, main)))
    assert "says 'tú' (tu), not 'usted': 'Change Phone'" in found
    assert "allauth's entry missing (--allauth-update): '%(n)s key'" in found
    assert "no longer in allauth (--allauth-update): 'Gone'" in found
    assert "Cancel" not in found and "Connect" not in found  # ours wins; socialaccount is not used
    assert "django.mo differs" not in found

    po[0].msgstr = "Cambiar teléfono"
    po[0].flags = ["fuzzy"]
    po.remove(po[1])
    po.append(polib.POEntry(msgid="%(n)s key", msgid_plural="%(n)s keys", msgstr_plural={0: "", 1: ""}))
    po.save(str(path))
    found = " | ".join(texts(i18n_check.allauth_problems(path, source, main)))
    assert "fuzzy (check it, then drop the flag): 'Change Phone'" in found
    assert "untranslated: '%(n)s key'" in found
    assert "django.mo differs from django.po" in found

    po[0].flags = []
    po[1].msgstr_plural = {0: "%(n)s llave", 1: "%(n)s llaves"}
    po.save(str(path))
    po.save_as_mofile(str(path.with_suffix(".mo")))
    assert i18n_check.allauth_problems(path, source, main) == []


def test_the_committed_allauth_override_covers_the_installed_allauth():
    """What ``--allauth-missing`` reports after an allauth upgrade: nothing today."""
    missing, stale = i18n_check.allauth_differences(
        i18n_check.ALLAUTH_CATALOGUE, i18n_check.allauth_source_catalogue(), i18n_check.CATALOGUE
    )
    assert (missing, stale) == ([], [])
    assert len(polib.pofile(str(i18n_check.ALLAUTH_CATALOGUE))) > 250


def test_a_problem_detail_passed_by_position_is_flagged_even_as_an_f_string():
    source = """
from django.utils.translation import gettext

def _problem(status, title, detail, headers=None):
    return status

def view(seconds):
    raise ApiProblem(503, f"Please try again in {seconds} seconds.", slug="service-unavailable")
    raise ApiProblem(404, gettext("Nothing here."))
    raise ApiProblem(403, decision.detail)
    bad_request_response(request, "This request is malformed.")
    return _problem(404, "Not found", "No Authorization with this id is available to you.")
"""
    found = texts(i18n_check.python_problems(source, "m.py"))
    assert found == [
        "ApiProblem detail not marked for translation: 'Please try again in  seconds.'",
        "bad_request_response detail not marked for translation: 'This request is malformed.'",
        "_problem detail not marked for translation: 'No Authorization with this id is available to you.'",
    ]
