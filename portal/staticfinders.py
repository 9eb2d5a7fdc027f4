"""A static-files finder that serves plotly's bundled JavaScript as ``js/plotly.min.js``.

The file ships inside the plotly Python package (``plotly/package_data/plotly.min.js``), so we never copy
4 MB into the repository and never load it from a CDN: ``runserver``, whitenoise and ``collectstatic`` all
find it through this finder, and the strict CSP (``script-src 'self'``) is satisfied.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files import File
from django.core.files.storage import FileSystemStorage

PUBLIC_PATH = "js/plotly.min.js"


def plotly_js_path() -> Path:
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


class PlotlyFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        source = plotly_js_path()
        self.source = source
        self.storage = FileSystemStorage(location=str(source.parent))

    def check(self, **kwargs):
        from django.core.checks import Error

        if not self.source.is_file():
            return [Error(f"plotly.min.js not found at {self.source}", id="portal.E101")]
        return []

    def find(self, path, find_all=False, **kwargs):
        if path == PUBLIC_PATH and self.source.is_file():
            return [str(self.source)] if find_all or kwargs.get("all") else str(self.source)
        return [] if (find_all or kwargs.get("all")) else None

    def list(self, ignore_patterns):
        if self.source.is_file():
            yield PUBLIC_PATH, _RenamedStorage(self.source)


class _RenamedStorage(FileSystemStorage):
    """Storage that answers ``js/plotly.min.js`` with the package's file (what collectstatic opens)."""

    def __init__(self, source: Path):
        super().__init__(location=str(source.parent))
        self._source = source

    def path(self, name):
        return str(self._source)

    def open(self, name, mode="rb"):
        return File(open(self._source, mode), name=PUBLIC_PATH)  # collectstatic closes it

    def get_modified_time(self, name):
        return super().get_modified_time(self._source.name)
