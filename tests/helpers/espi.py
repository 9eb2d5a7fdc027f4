"""Validate Green Button (ESPI 4.0) XML against the schemas in ``tests/fixtures/espi-4.0/``.

The schemas live in the repository, so validation never depends on a path outside the clone and never skips.
The schema set is the one ``validate.py`` in that folder builds (Atom + ESPI, offline).
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from lxml import etree

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "espi-4.0"
SAMPLE = SCHEMA_DIR / "samples" / "electric_containerized.xml"


@cache
def espi_schema() -> etree.XMLSchema:
    """The Atom + ESPI 4.0 schema, loaded once per process by the folder's own ``validate.py``."""
    spec = importlib.util.spec_from_file_location("espi_validate", SCHEMA_DIR / "validate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.schema()


def espi_errors(xml: bytes | etree._Element) -> list[str]:
    """The schema's complaints about ``xml`` (empty when it is valid)."""
    doc = etree.fromstring(xml) if isinstance(xml, bytes) else xml
    schema = espi_schema()
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def assert_valid_espi(xml: bytes | etree._Element) -> etree._Element:
    """Assert that ``xml`` (bytes or a parsed element) is valid ESPI 4.0; return the parsed element."""
    doc = etree.fromstring(xml) if isinstance(xml, bytes) else xml
    errors = espi_errors(doc)
    assert not errors, "not valid ESPI 4.0:\n" + "\n".join(errors[:10])
    return doc
