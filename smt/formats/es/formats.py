"""Spanish as Texans read it (es-US, close to Mexico's): "7 de diciembre de 2026", a decimal point and a thousands
comma (1,234.5 kWh, as on the bill and the meter), the 24-hour clock like the rest of the site, weeks from Sunday. docs/glossary-es.md says why."""

from django.conf.locale.es_MX.formats import (  # noqa: F401 - re-exported for Django's format lookup
    DATE_FORMAT,
    DATE_INPUT_FORMATS,
    DATETIME_FORMAT,
    DATETIME_INPUT_FORMATS,
    MONTH_DAY_FORMAT,
    SHORT_DATE_FORMAT,
    SHORT_DATETIME_FORMAT,
    TIME_FORMAT,
    YEAR_MONTH_FORMAT,
)

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
FIRST_DAY_OF_WEEK = 0
