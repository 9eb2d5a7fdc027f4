"""The Spanish check of ``make lint``: nothing a resident reads is left unmarked or untranslated.

Four checks, each naming file and line:

1. Templates a resident or household sees (``TEMPLATE_ROOTS`` minus ``TEMPLATE_EXCLUDED``, each exclusion with
   its reason): visible text and the attributes people read (alt, title, aria-label, placeholder, a button's
   value) must sit inside ``{% translate %}`` / ``{% blocktranslate %}``. Whitespace, punctuation, numbers,
   template variables and the names in ``ALLOWED`` (brands, units) need no marking.
2. Python modules (``PYTHON_ROOTS`` minus ``PYTHON_EXCLUDED``): a plain string literal where people read it — a
   form field's label / help_text / error_messages, a ValidationError, a django.contrib.messages call, an e-mail
   subject, a problem's detail — must be wrapped in gettext. A line ending in ``# i18n: not user-facing`` is
   skipped (say why in the code).
3. The catalogue ``locale/es/LC_MESSAGES/django.po``: ``makemessages`` run on a copy of the sources finds no
   string missing from it and it keeps none the sources dropped; no entry is untranslated or fuzzy; the
   committed ``django.mo`` holds exactly its translations (run ``msgfmt`` after editing the .po). No entry
   says "tú" (``INFORMAL_WORDS``).
4. allauth's override catalogue ``locale_allauth/es/LC_MESSAGES/django.po`` (allauth's own pages and messages
   in "usted"): it has every entry of allauth's installed Spanish catalogue from the parts we use
   (``ALLAUTH_PARTS``) that our main catalogue does not word already, and none allauth dropped; no entry is
   untranslated, fuzzy or says "tú"; its ``django.mo`` is compiled from it.

Run: ``python tools/i18n_check.py`` (exit 1 and one line per problem); ``--no-catalogue`` skips the third and
fourth checks; ``--update`` first brings the catalogue up to date with the sources (then translate, ``msgfmt``;
docs/i18n.md). After an allauth upgrade, ``--allauth-missing`` lists what changed for the override and
``--allauth-update`` adds allauth's new entries to it, untranslated (then translate, ``msgfmt``).
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"

TEMPLATE_ROOTS = ("templates",)
TEMPLATE_EXCLUDED = {
    "templates/thirdparty/dev/": "the developer portal: for third parties' engineers, in English like the API docs",
    "templates/thirdparty/admin/": "staff-only admin pages",
    "templates/thirdparty/email/organization_": "e-mails to third-party organisations (developers), in English",
    "templates/thirdparty/email/credential_created": "e-mails to third-party organisations (developers), in English",
    "templates/api/": "the API's reference pages, for developers",
    "templates/allauth/elements/button.html": "markup only: its tag name comes from a condition, no text",
}
PYTHON_ROOTS = ("portal", "thirdparty", "han", "api", "smt", "usage")
PYTHON_EXCLUDED = {
    "usage/": "the data layer: its messages are for operators (ingest reports, logs); the portal words what people see",
    "/models.py": "field help texts and names are read in the staff admin; forms set their own labels",
    "portal/services.py": "market operations (move-in, REP switch, merges) done by staff in the admin",
    "thirdparty/webhooks/": "webhook deliveries, read by third parties' developers",
    "/migrations/": "schema history",
    "/management/": "operators' commands",
    "/admin": "staff-only admin",
    "thirdparty/views/developer.py": "the developer portal, in English",
    "thirdparty/services/onboarding.py": "the developer portal's organisation sign-up, in English",
    "thirdparty/services/applications.py": "the developer portal's app registration, in English",
    "thirdparty/apikeys.py": "API keys of the developer portal, in English",
    "smt/settings.py": "configuration",
    "api/schema.py": "the OpenAPI description, for developers",
}
# Pages still being translated: their problems are listed as "pending", not counted (a truthful partial state
# while the work goes page by page). An empty set is the goal; docs/i18n.md says what is left.
PENDING: set[str] = set()

# Words that read the same in both languages: brand and product names, units, identifiers.
ALLOWED = (
    "Open Smart Meter Texas",
    "Smart Meter Texas",
    "Open SMT",
    "Green Button",
    "ESI ID",
    "OAuth",
    "kWh",
    "kW",
    "CSV",
    "JSON",
    "XML",
    "ZIP",
    "API",
    "SMT",
    "REP",
    "TDU",
    "HAN",
    "ID",
    "UTC",
    "CT",
    "AM",
    "PM",
)
READ_ATTRIBUTES = {
    "alt",
    "title",
    "aria-label",
    "placeholder",
    "data-label",
    "aria-description",
    "aria-roledescription",
}
PYTHON_KEYWORDS = {"label", "help_text", "empty_label", "subject", "detail", "message"}
PYTHON_ATTRIBUTES = {"label", "help_text", "empty_label"}
# The problem details people read, by position: the API's constructors (an f-string or literal there is English
# whatever the caller asked for). A function of the module being checked whose parameter is named ``detail``
# (smt.errors' ``_problem``, ``bad_request_response``, the ESPI authorization's ``_problem``) is checked the same
# way, at that parameter's position.
DETAIL_ARGUMENT = {
    "invalid_parameter": 1,
    "problem_response": 1,
    "ApiProblem": 1,
    "bad_request_response": 1,
    "AuthenticationFailed": 0,  # DRF: its detail is the 401 problem's
}
MESSAGE_LEVELS = {"debug", "info", "success", "warning", "error"}
OPT_OUT = "# i18n: not user-facing"

_ALLOWED_RE = re.compile("|".join(re.escape(word) for word in sorted(ALLOWED, key=len, reverse=True)))
_HOLE = "\x00"


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text}"


def needs_translation(text: str) -> bool:
    """Text with a letter left once template holes, allowed words, numbers and punctuation are gone."""
    rest = _ALLOWED_RE.sub(" ", text.replace(_HOLE, " "))
    rest = re.sub(r"&[a-zA-Z]+;|&#\d+;", " ", rest)
    return any(ch.isalpha() for ch in rest)


def _excluded(relpath: str, exclusions: dict[str, str]) -> bool:
    return any(part in relpath if part.startswith("/") else relpath.startswith(part) for part in exclusions)


# --- 1. Templates --------------------------------------------------------------------------------------------


def template_skeleton(source: str) -> str:
    """The template with every tag and variable replaced by a hole and every translated or commented stretch
    blanked, newlines kept (so line numbers stay true): what is left is text nobody marked."""
    from django.template.base import Lexer

    out: list[str] = []
    skip_until: str | None = None
    for token in Lexer(source).tokenize():
        text, name = _token_source(token)
        if skip_until is not None:
            if name == skip_until:
                skip_until = None
            out.append(_blank(text))
        elif name in SKIPPED_BLOCKS:
            skip_until = SKIPPED_BLOCKS[name]
            out.append(_blank(text))
        else:
            out.append(_token_skeleton(token, text))
    return "".join(out)


SKIPPED_BLOCKS = {
    "blocktranslate": "endblocktranslate",
    "blocktrans": "endblocktrans",
    "comment": "endcomment",
}


def _token_source(token) -> tuple[str, str]:
    """The token as written, and its tag's name (blank for text, variables and comments)."""
    from django.template.base import TokenType

    raw = token.contents
    if token.token_type == TokenType.TEXT:
        return raw, ""
    if token.token_type == TokenType.VAR:
        return "{{" + raw + "}}", ""
    if token.token_type == TokenType.COMMENT:
        return "{#" + raw + "#}", ""
    return "{%" + raw + "%}", (raw.split() or [""])[0]


def _token_skeleton(token, text: str) -> str:
    from django.template.base import TokenType

    if token.token_type == TokenType.TEXT:
        return text
    if token.token_type == TokenType.VAR:  # a value: never text that needs marking
        return _HOLE + _blank(text)[1:]
    if token.token_type == TokenType.COMMENT:
        return _blank(text)
    return " " + _blank(text)[1:]  # a tag: a space (it may sit inside an HTML start tag)


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


class _TextFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[tuple[int, str]] = []
        self._raw: list[str] = []  # script / style being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._raw.append(tag)
        values = dict(attrs)
        for name, value in attrs:
            if value is None:
                continue
            read = name in READ_ATTRIBUTES or (
                name == "value" and tag == "input" and values.get("type") in ("submit", "button", "reset")
            )
            if read and needs_translation(value):
                self.found.append((self.getpos()[0], f'{tag} {name}="{value.strip()}"'))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style") and self._raw:
            self._raw.pop()

    def handle_endtag(self, tag: str) -> None:
        if self._raw and tag == self._raw[-1]:
            self._raw.pop()

    def handle_data(self, data: str) -> None:
        if self._raw or not needs_translation(data):
            return
        line = self.getpos()[0] + data[: len(data) - len(data.lstrip())].count("\n")
        self.found.append((line, " ".join(data.replace(_HOLE, "").split())))


def template_problems(source: str, relpath: str) -> list[Problem]:
    skeleton = template_skeleton(source)
    if relpath.endswith(".txt"):  # an e-mail: all of it is read
        return [
            Problem(relpath, number, f"unmarked text: {' '.join(line.replace(_HOLE, '').split())}")
            for number, line in enumerate(skeleton.split("\n"), start=1)
            if needs_translation(line)
        ]
    finder = _TextFinder()
    finder.feed(skeleton)
    finder.close()
    return [Problem(relpath, line, f"unmarked text: {text}") for line, text in finder.found]


def template_files() -> Iterator[Path]:
    for root in TEMPLATE_ROOTS:
        for path in sorted((ROOT / root).rglob("*")):
            relpath = path.relative_to(ROOT).as_posix()
            if path.suffix in (".html", ".txt") and not _excluded(relpath, TEMPLATE_EXCLUDED):
                yield path


# --- 2. Python -----------------------------------------------------------------------------------------------


def _literal_text(node: ast.AST | None) -> str | None:
    """The text of a plain (untranslated) string expression, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return _literal_text(node.left) or _literal_text(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _literal_text(node.func.value)
    return None


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


class _PythonChecker(ast.NodeVisitor):
    """Finds plain string literals where people read them (see the module's docstring)."""

    def __init__(self, tree: ast.Module, lines: list[str]) -> None:
        self.lines = lines
        self.found: dict[int, str] = {}
        self.constants: dict[
            str, ast.AST
        ] = {}  # module-level NAME = "text", used later as a label or message
        for statement in tree.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target = statement.targets[0]
                if isinstance(target, ast.Name) and _literal_text(statement.value) is not None:
                    self.constants[target.id] = statement.value
        self.detail_argument = dict(DETAIL_ARGUMENT)
        for statement in ast.walk(tree):
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                names = [a.arg for a in (*statement.args.posonlyargs, *statement.args.args)]
                if "detail" in names:
                    self.detail_argument[statement.name] = names.index("detail")

    def check(self, node: ast.AST | None, why: str) -> None:
        if isinstance(node, ast.Name) and node.id in self.constants:
            node = self.constants[node.id]
        if isinstance(node, ast.Dict):
            for value in node.values:
                self.check(value, why)
            return
        text = _literal_text(node)
        if node is None or text is None or not needs_translation(text):
            return
        line = getattr(node, "lineno", 0)
        last = getattr(node, "end_lineno", line)
        if OPT_OUT in self.lines[line - 1] or OPT_OUT in self.lines[last - 1]:
            return
        self.found.setdefault(line, f"{why} not marked for translation: {text.strip()[:70]!r}")

    def visit_Call(self, node: ast.Call) -> None:
        name = _call_name(node)
        if (name == "ValidationError" or name.endswith("Refused")) and node.args:
            self.check(node.args[0], f"{name} message")
        owner = node.func.value if isinstance(node.func, ast.Attribute) else None
        if (
            name in MESSAGE_LEVELS
            and isinstance(owner, ast.Name)
            and owner.id == "messages"
            and len(node.args) >= 2
        ):
            self.check(node.args[1], "message")
        if name == "add_message" and len(node.args) >= 3:
            self.check(node.args[2], "message")
        position = self.detail_argument.get(name)
        if position is not None and len(node.args) > position:
            self.check(node.args[position], f"{name} detail")
        for keyword in node.keywords:
            if keyword.arg in PYTHON_KEYWORDS:
                self.check(keyword.value, keyword.arg)
            elif keyword.arg == "error_messages":
                self.check(keyword.value, "error message")
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Attribute) and target.attr in PYTHON_ATTRIBUTES:
                self.check(node.value, target.attr)
        self.generic_visit(node)


def python_problems(source: str, relpath: str) -> list[Problem]:
    tree = ast.parse(source)
    checker = _PythonChecker(tree, source.splitlines())
    checker.visit(tree)
    return [Problem(relpath, line, text) for line, text in sorted(checker.found.items())]


def python_files() -> Iterator[Path]:
    for root in PYTHON_ROOTS:
        for path in sorted((ROOT / root).rglob("*.py")):
            relpath = path.relative_to(ROOT).as_posix()
            if not _excluded(relpath, PYTHON_EXCLUDED):
                yield path


# --- 3. The catalogue -----------------------------------------------------------------------------------------

CATALOGUE_SOURCES = ("templates", "portal", "thirdparty", "han", "api", "smt", "usage", "demo")


def _key(entry) -> tuple[str, str, str]:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def makemessages_command() -> list[str]:
    """``makemessages`` as this project runs it (``--update`` here, on a copy in the check): the sources only,
    no line numbers (small diffs), entries the sources dropped removed."""
    ignored = [p.name for p in ROOT.iterdir() if p.is_dir() and p.name not in (*CATALOGUE_SOURCES, "locale")]
    return [
        sys.executable,
        str(ROOT / "manage.py"),
        "makemessages",
        "-l",
        "es",
        "-e",
        "html,txt,py",
        "--no-location",
        "--no-wrap",
        "--no-obsolete",
        *[arg for name in [*ignored, "migrations", "tests"] for arg in ("-i", name)],
    ]


def catalogue_update() -> None:
    """Bring the committed catalogue up to date with the sources (new entries arrive untranslated)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "smt.settings"}
    subprocess.run(makemessages_command(), cwd=ROOT, env=env, check=True)  # noqa: S603 - our own command


def extracted_messages() -> set[tuple[str, str, str]]:
    """Every marked string of the sources, from Django's ``makemessages`` run on a copy (the real catalogue is
    never written by a check)."""
    import polib

    if shutil.which("xgettext") is None:
        raise SystemExit("i18n check: xgettext is missing (Debian/Ubuntu: apt-get install gettext)")
    with tempfile.TemporaryDirectory() as tmp:
        for name in CATALOGUE_SOURCES:
            shutil.copytree(
                ROOT / name, Path(tmp) / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        (Path(tmp) / "locale").mkdir()
        env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "smt.settings"}
        run = subprocess.run(  # noqa: S603 - our own interpreter and manage.py, no outside input
            makemessages_command(),
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        produced = Path(tmp) / "locale" / "es" / "LC_MESSAGES" / "django.po"
        if run.returncode != 0 or not produced.exists():
            raise SystemExit(f"i18n check: makemessages failed:\n{run.stdout}{run.stderr}")
        return {_key(entry) for entry in polib.pofile(str(produced)) if not entry.obsolete}


def catalogue_problems(po_path: Path, extracted: set[tuple[str, str, str]] | None) -> list[Problem]:
    import polib

    relpath = po_path.relative_to(ROOT).as_posix() if po_path.is_relative_to(ROOT) else str(po_path)
    if not po_path.exists():
        return [Problem(relpath, 0, "the Spanish catalogue is missing (manage.py makemessages -l es)")]
    po = polib.pofile(str(po_path))
    problems = []
    current = [entry for entry in po if not entry.obsolete]
    for entry in current:
        shown = entry.msgid[:70]
        if "fuzzy" in entry.flags:
            problems.append(
                Problem(relpath, entry.linenum, f"fuzzy (check it, then drop the flag): {shown!r}")
            )
        elif not entry.translated():
            problems.append(Problem(relpath, entry.linenum, f"untranslated: {shown!r}"))
    if extracted is not None:
        committed = {_key(entry) for entry in current}
        for ctxt, msgid, _plural in sorted(extracted - committed):
            where = f" (context {ctxt!r})" if ctxt else ""
            problems.append(Problem(relpath, 0, f"missing (run makemessages -l es): {msgid[:70]!r}{where}"))
        for _ctxt, msgid, _plural in sorted(committed - extracted):
            problems.append(
                Problem(relpath, 0, f"no longer in the sources (run makemessages): {msgid[:70]!r}")
            )
    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists():
        problems.append(Problem(relpath, 0, "django.mo is missing (msgfmt -o django.mo django.po)"))
    else:
        compiled = {
            _key(e): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in polib.mofile(str(mo_path))
        }
        wanted = {
            _key(e): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
            for e in current
            if e.translated() and "fuzzy" not in e.flags
        }
        compiled.pop(("", "", ""), None)  # the header
        if compiled != wanted:
            problems.append(
                Problem(relpath, 0, "django.mo differs from django.po (msgfmt -o django.mo django.po)")
            )
    return problems


# --- 4. allauth's override catalogue ------------------------------------------------------------------------

# allauth's own Spanish says "tú" and leaves some entries in English; ``locale_allauth`` (in LOCALE_PATHS after
# ``locale``) holds our "usted" wording of every entry of the parts of allauth we use. docs/i18n.md.
ALLAUTH_CATALOGUE = ROOT / "locale_allauth" / "es" / "LC_MESSAGES" / "django.po"
ALLAUTH_PARTS = (
    "account/",
    "mfa/",
    "usersessions/",
    "core/",
    "templates/account/",
    "templates/mfa/",
    "templates/usersessions/",
    "templates/allauth/",
)
# "Tú" forms: the pronouns, and verbs that can only be "tú" (a form shared with "usted", like "cambia" in
# "si usted cambia", is left out). Matched as whole words, any case.
INFORMAL_WORDS = (
    "tu",
    "tus",
    "te",
    "ti",
    "contigo",
    "tuyo",
    "tuya",
    "tuyos",
    "tuyas",
    "eres",
    "estás",
    "has",
    "hayas",
    "puedes",
    "tienes",
    "quieres",
    "deseas",
    "debes",
    "decides",
    "inicies",
    "haz",
    "ten",
    "pon",
    "vete",
    "introdúcelo",
    "introdúcela",
    "escríbelo",
    "guárdalos",
    "inténtalo",
    "confírmalo",
    "regístrate",
    "confíes",
    "envíame",
)
ALLAUTH_HEADER = (
    'django-allauth in our Spanish ("usted", docs/glossary-es.md): it wins over allauth\'s own catalogue\n'
    "(LOCALE_PATHS, after locale/). After an allauth upgrade: python tools/i18n_check.py --allauth-update,\n"
    "translate the new entries, msgfmt (docs/i18n.md)."
)
_INFORMAL_RE = re.compile(r"\b(" + "|".join(INFORMAL_WORDS) + r")\b", re.IGNORECASE)


def informal_words(text: str) -> list[str]:
    """The "tú" forms in a Spanish text, placeholders aside."""
    text = re.sub(r"%\([^)]*\)[a-z]|\{[^}]*\}", " ", text)
    return [match.group(0) for match in _INFORMAL_RE.finditer(text)]


def informal_problems(po_path: Path) -> list[Problem]:
    """Entries whose Spanish says "tú" (docs/glossary-es.md: "usted" throughout)."""
    import polib

    relpath = po_path.relative_to(ROOT).as_posix() if po_path.is_relative_to(ROOT) else str(po_path)
    problems = []
    for entry in polib.pofile(str(po_path)):
        if entry.obsolete:
            continue
        found = informal_words(" ".join([entry.msgstr, *entry.msgstr_plural.values()]))
        if found:
            problems.append(
                Problem(
                    relpath,
                    entry.linenum,
                    f"says 'tú' ({', '.join(found)}), not 'usted': {entry.msgid[:60]!r}",
                )
            )
    return problems


def allauth_source_catalogue() -> Path:
    """The Spanish catalogue installed with django-allauth."""
    import allauth

    return Path(allauth.__file__).resolve().parent / "locale" / "es" / "LC_MESSAGES" / "django.po"


def allauth_entries(source: Path) -> dict[tuple[str, str, str], Any]:
    """allauth's entries that come from the parts we use (not socialaccount, idp, openid, headless)."""
    import polib

    return {
        _key(entry): entry
        for entry in polib.pofile(str(source))
        if not entry.obsolete and any(path.startswith(ALLAUTH_PARTS) for path, _line in entry.occurrences)
    }


def allauth_differences(
    po_path: Path, source: Path, main: Path
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """allauth's entries the override lacks (those of our main catalogue need not be there: it wins anyway),
    and the override's entries allauth no longer has."""
    import polib

    wanted = set(allauth_entries(source))
    ours = (
        {_key(entry) for entry in polib.pofile(str(po_path)) if not entry.obsolete}
        if po_path.exists()
        else set()
    )
    main_keys = {_key(entry) for entry in polib.pofile(str(main)) if not entry.obsolete}
    return sorted(wanted - ours - main_keys), sorted(ours - wanted)


def allauth_problems(po_path: Path, source: Path, main: Path) -> list[Problem]:
    """The override is complete for the installed allauth, translated, compiled and in "usted"."""
    problems = catalogue_problems(po_path, None)
    if not po_path.exists():
        return problems
    relpath = po_path.relative_to(ROOT).as_posix() if po_path.is_relative_to(ROOT) else str(po_path)
    missing, stale = allauth_differences(po_path, source, main)
    for ctxt, msgid, _plural in missing:
        where = f" (context {ctxt!r})" if ctxt else ""
        problems.append(
            Problem(relpath, 0, f"allauth's entry missing (--allauth-update): {msgid[:70]!r}{where}")
        )
    for _ctxt, msgid, _plural in stale:
        problems.append(Problem(relpath, 0, f"no longer in allauth (--allauth-update): {msgid[:70]!r}"))
    return problems + informal_problems(po_path)


def allauth_update(po_path: Path, source: Path, main: Path) -> tuple[int, int]:
    """Add allauth's missing entries to the override, untranslated (its contexts, plurals and format flags
    kept; its file names as references, without line numbers), and drop those allauth no longer has."""
    import polib

    if po_path.exists():
        po = polib.pofile(str(po_path), wrapwidth=0)
    else:
        po = polib.POFile(wrapwidth=0)
        po.header = ALLAUTH_HEADER
        po.metadata = {
            "Project-Id-Version": "Open Smart Meter Texas (django-allauth in usted)",
            "PO-Revision-Date": "YEAR-MO-DA HO:MI+ZONE",
            "Last-Translator": "Open Smart Meter Texas <no-reply@smt.example>",
            "Language-Team": "Spanish (docs/glossary-es.md)",
            "Language": "es",
            "MIME-Version": "1.0",
            "Content-Type": "text/plain; charset=UTF-8",
            "Content-Transfer-Encoding": "8bit",
            "Plural-Forms": "nplurals=2; plural=(n != 1);",
        }
    missing, stale = allauth_differences(po_path, source, main)
    theirs = allauth_entries(source)
    for entry in [e for e in po if _key(e) in set(stale)]:
        po.remove(entry)
    for key in missing:
        original = theirs[key]
        po.append(
            polib.POEntry(
                msgctxt=original.msgctxt,
                msgid=original.msgid,
                msgid_plural=original.msgid_plural,
                msgstr="",
                msgstr_plural={0: "", 1: ""} if original.msgid_plural else {},
                flags=[flag for flag in original.flags if flag != "fuzzy"],
                occurrences=sorted({(path, "") for path, _line in original.occurrences}),
            )
        )
    po_path.parent.mkdir(parents=True, exist_ok=True)
    po.save(str(po_path))
    return len(missing), len(stale)


# --- Running it ---------------------------------------------------------------------------------------------


def all_problems(*, catalogue: bool = True) -> list[Problem]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smt.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()
    problems: list[Problem] = []
    for path in template_files():
        problems += template_problems(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    for path in python_files():
        problems += python_problems(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    if catalogue:
        problems += catalogue_problems(CATALOGUE, extracted_messages())
        problems += informal_problems(CATALOGUE)
        problems += allauth_problems(ALLAUTH_CATALOGUE, allauth_source_catalogue(), CATALOGUE)
    return problems


def allauth_missing_report() -> int:
    """Print what an allauth upgrade changed for the override catalogue; exit 1 when anything did."""
    missing, stale = allauth_differences(ALLAUTH_CATALOGUE, allauth_source_catalogue(), CATALOGUE)
    for ctxt, msgid, plural in missing:
        print(
            f"missing: {msgid!r}"
            + (f" (context {ctxt!r})" if ctxt else "")
            + (f" (plural {plural!r})" if plural else "")
        )
    for ctxt, msgid, _plural in stale:
        print(f"no longer in allauth: {msgid!r}" + (f" (context {ctxt!r})" if ctxt else ""))
    print(f"allauth override: {len(missing)} missing, {len(stale)} no longer in allauth")
    return 1 if missing or stale else 0


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-catalogue", action="store_true", help="skip makemessages and the .po/.mo check")
    parser.add_argument("--update", action="store_true", help="run makemessages on the catalogue, then check")
    parser.add_argument(
        "--allauth-missing",
        action="store_true",
        help="list allauth's entries the override catalogue lacks, and those allauth dropped; nothing else",
    )
    parser.add_argument(
        "--allauth-update",
        action="store_true",
        help="add allauth's missing entries to the override catalogue (untranslated), drop stale ones, then check",
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.allauth_missing:
        return allauth_missing_report()
    if args.update:
        catalogue_update()
    if args.allauth_update:
        added, dropped = allauth_update(ALLAUTH_CATALOGUE, allauth_source_catalogue(), CATALOGUE)
        print(
            f"{ALLAUTH_CATALOGUE.relative_to(ROOT)}: {added} entries added (translate them), {dropped} dropped"
        )
    found = all_problems(catalogue=not args.no_catalogue)
    problems = [p for p in found if p.path not in PENDING]
    pending = sorted({p.path for p in found if p.path in PENDING})
    for path in pending:
        print(f"{path}: pending translation ({sum(p.path == path for p in found)} unmarked strings)")
    for problem in problems:
        print(problem)
    if problems:
        print(f"i18n check: {len(problems)} problem(s); see tools/i18n_check.py and docs/glossary-es.md")
        return 1
    print("i18n check: every user-facing string is marked and translated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
