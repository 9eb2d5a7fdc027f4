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
