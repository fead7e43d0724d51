"""The PDF base: HTML to PDF with WeasyPrint, fetching nothing but the project's own static files.

WeasyPrint is imported inside the functions, so web processes that never render a PDF do not load it.
Every page's HTML comes from a template in `templates/pdf/`; user text in it is escaped by Django, and any
URL the document names (a stylesheet, an image, or a URL smuggled into user text) goes through
`static_only_fetcher`, which serves files under STATIC_URL found by the staticfiles finders and refuses
everything else: other hosts, `file://` paths, `data:` URLs and path traversal.
"""

import logging
import mimetypes
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation

logger = logging.getLogger("earlyhelp.pdf")

# Relative URLs in PDF templates resolve against this made-up origin; only its static path is ever served.
BASE_URL = "https://earlyhelp.invalid/"


class RefusedURL(ValueError):
    """A document asked for something other than one of the project's own static files."""


def static_file_for(url: str) -> str:
    """The path on disk of the static file `url` names, or RefusedURL."""
    parts = urlsplit(url)
    origin = urlsplit(BASE_URL)
    if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc) or parts.query:
        raise RefusedURL(f"Refused to fetch {url[:200]!r}: only the project's own static files are served")
    path = unquote(parts.path)
    if not path.startswith(settings.STATIC_URL) or "\\" in path or "\x00" in path:
        raise RefusedURL(f"Refused to fetch {url[:200]!r}: not under {settings.STATIC_URL}")
    relative = path.removeprefix(settings.STATIC_URL)
    if any(part in ("", ".", "..") for part in relative.split("/")):
        raise RefusedURL(f"Refused to fetch {url[:200]!r}: not a plain static path")
    try:
        found = finders.find(relative)
    except SuspiciousFileOperation:
        found = None
    if not found:
        raise RefusedURL(f"Refused to fetch {url[:200]!r}: no such static file")
    return found


def static_only_fetcher():
    """A WeasyPrint URL fetcher that serves the project's static files and refuses any other URL."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            try:
                path = static_file_for(url)
            except RefusedURL as refusal:
                logger.warning("%s", refusal)
                raise
            with open(path, "rb") as handle:
                body = handle.read()
            content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": content_type})

    return StaticOnlyFetcher()


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    page_count: int


def html_to_pdf(html: str) -> RenderedPdf:
    """Render `html` (from a `templates/pdf/` template) to PDF bytes with the static-only fetcher."""
    import weasyprint

    document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=static_only_fetcher()).render()
    return RenderedPdf(content=document.write_pdf(), page_count=len(document.pages))
