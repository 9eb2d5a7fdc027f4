"""The test suite's own rules can fail: the ESPI schema check rejects invalid XML, a skip that names no
missing service fails the run (and under CI=true every skip does), and the service fixtures demand their
marker; and every test asserts something."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from tests.helpers.espi import SAMPLE, SCHEMA_DIR, assert_valid_espi, espi_errors

ROOT = Path(__file__).resolve().parent.parent
ATOM = "{http://www.w3.org/2005/Atom}"


def test_the_schemas_are_in_the_repository():
    assert SCHEMA_DIR.is_relative_to(ROOT / "tests")
    for name in ("espi.xsd", "customer.xsd", "atom.xsd", "xml.xsd", "validate.py", "LICENSE-NOTE.md"):
        assert (SCHEMA_DIR / name).is_file(), name


def test_the_green_button_sample_is_valid():
    doc = assert_valid_espi(SAMPLE.read_bytes())
    assert doc.tag == f"{ATOM}feed"


def test_a_link_without_type_is_invalid():
    doc = etree.fromstring(SAMPLE.read_bytes())
    del doc.find(f"{ATOM}entry/{ATOM}link").attrib["type"]
    errors = espi_errors(doc)
    assert any("type" in e for e in errors), errors
    with pytest.raises(AssertionError, match="not valid ESPI 4.0"):
        assert_valid_espi(doc)


def test_an_unknown_espi_element_is_invalid():
    body = SAMPLE.read_bytes().replace(b"<kind>0</kind>", b"<kind>0</kind><colour>green</colour>", 1)
    assert body != SAMPLE.read_bytes()
    assert any("colour" in e for e in espi_errors(body))


RULES_MODULE = """
import pytest


def test_skips_without_a_service():
    pytest.skip("not written yet")


def test_skips_for_a_service():
    pytest.skip("needs Redis: set REDIS_URL")


@pytest.mark.postgres
def test_marked_postgres():
    pass


def test_chromium_path_without_the_marker(chromium_path):
    pass


def test_passes():
    pass
"""


def _outcomes(tmp_path: Path, *, ci: bool) -> dict[str, str]:
    """Run RULES_MODULE under the root conftest (no services) and return each test's outcome."""
    (tmp_path / "test_rules.py").write_text(RULES_MODULE)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    postgres\n    redis\n    browser\n")
    report = tmp_path / "report.xml"
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "DATABASE_URL", "REDIS_URL")}
    env["DJANGO_SETTINGS_MODULE"] = "smt.settings"
    if ci:
        env["CI"] = "true"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-p", "no:xdist",
         "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path), f"--junitxml={report}", "-q",
         str(tmp_path / "test_rules.py")],
        cwd=ROOT, env=env, capture_output=True, timeout=120,
    )  # fmt: skip
    outcomes = {}
    for case in etree.parse(str(report)).iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcomes[case.get("name")] = kinds[0] if kinds else "passed"
    return outcomes


def test_only_a_missing_service_may_skip(tmp_path):
    assert _outcomes(tmp_path, ci=False) == {
        "test_skips_without_a_service": "failure",
        "test_skips_for_a_service": "skipped",
        "test_marked_postgres": "skipped",
        "test_chromium_path_without_the_marker": "error",
        "test_passes": "passed",
    }


def test_under_ci_no_test_may_skip(tmp_path):
    assert _outcomes(tmp_path, ci=True) == {
        "test_skips_without_a_service": "failure",
        "test_skips_for_a_service": "failure",
        "test_marked_postgres": "error",
        "test_chromium_path_without_the_marker": "error",
        "test_passes": "passed",
    }


def _checks_something(fn: ast.FunctionDef) -> bool:
    """An assert statement, pytest.raises/fail/warns, a django_assert_* fixture, or an assert_* helper."""
    for node in ast.walk(fn):
        if isinstance(node, ast.Assert):
            return True
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
        if name in ("raises", "fail", "warns") or name.startswith(("assert_", "django_assert_")):
            return True
    return False


def test_every_test_asserts_something():
    silent = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.FunctionDef)
                and node.name.startswith("test")
                and not _checks_something(node)
            ):
                silent.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not silent, "tests that check nothing:\n" + "\n".join(silent)
