"""The PDF renderer fetches nothing but the project's own static files: no other host, no file on disk, no data:
URL, no path out of the static folders, whether the URL is in a template or smuggled into user text."""

import builtins
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings

from documents import services
from earlyhelp.core.pdf import BASE_URL, RefusedURL, html_to_pdf, static_file_for, static_only_fetcher
from tests.documents.test_services import ask_for_plan, make_plan, pdf_text, stored_bytes

PRINT_CSS = Path(settings.BASE_DIR) / "static" / "pdf" / "print.css"

REFUSED = [
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    "file://localhost/etc/passwd",
    "/etc/passwd",
    "https://example.org/static/pdf/print.css",
    "http://earlyhelp.invalid/static/pdf/print.css",
    "https://earlyhelp.invalid.example.org/static/pdf/print.css",
    "https://user@earlyhelp.invalid/static/pdf/print.css",
    "https://earlyhelp.invalid:8443/static/pdf/print.css",
    "//example.org/static/pdf/print.css",
    "https://earlyhelp.invalid/static/pdf/print.css?v=1",
    "data:text/css,body{color:red}",
    "data:image/png;base64,iVBORw0KGgo=",
    "ftp://earlyhelp.invalid/static/pdf/print.css",
    "https://earlyhelp.invalid/settings.py",
    "https://earlyhelp.invalid/static/../earlyhelp/settings.py",
    "https://earlyhelp.invalid/static/%2e%2e/earlyhelp/settings.py",
    "https://earlyhelp.invalid/static/%2E%2E/%2E%2E/etc/passwd",
    "https://earlyhelp.invalid/static/pdf/..%2f..%2fearlyhelp/settings.py",
    "https://earlyhelp.invalid/static/pdf/%2e%2e%5c%2e%2e%5cearlyhelp%5csettings.py",
    "https://earlyhelp.invalid/static//etc/passwd",
    "https://earlyhelp.invalid/static/./pdf/print.css",
    "https://earlyhelp.invalid/static/pdf/print.css%00.png",
    "https://earlyhelp.invalid/static/pdf/missing.css",
    "https://earlyhelp.invalid/static/",
    "https://earlyhelp.invalid/media/documents/2026/01/0123.pdf",
]


@pytest.mark.parametrize("url", REFUSED)
def test_static_file_for_refuses_anything_but_a_static_file(url):
    with pytest.raises(RefusedURL):
        static_file_for(url)


@pytest.mark.parametrize("url", ["/static/pdf/print.css", f"{BASE_URL}static/pdf/print.css"])
def test_static_file_for_serves_the_print_stylesheet(url):
    # A relative URL in a template is resolved against BASE_URL before it reaches the fetcher.
    if url.startswith("/"):
        url = BASE_URL.rstrip("/") + url
    assert Path(static_file_for(url)).resolve() == PRINT_CSS.resolve()


@pytest.mark.parametrize("url", REFUSED)
def test_static_only_fetcher_refuses_and_logs(url, caplog):
    fetcher = static_only_fetcher()
    with caplog.at_level(logging.WARNING, logger="earlyhelp.pdf"), pytest.raises(RefusedURL):
        fetcher.fetch(url)
    assert [record.name for record in caplog.records] == ["earlyhelp.pdf"]
    assert "Refused to fetch" in caplog.records[0].getMessage()


def test_static_only_fetcher_serves_the_print_stylesheet():
    response = static_only_fetcher().fetch(f"{BASE_URL}static/pdf/print.css")
    assert response.read() == PRINT_CSS.read_bytes()
    assert response.content_type == "text/css"


# --- Rendering: what a document names is not fetched -----------------------------------------------------------


class _Recorder(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):
        type(self).requests.append(self.path)
        body = b'body::before { content: "FROM-ANOTHER-HOST"; }'
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def other_host():
    """A real HTTP server on this machine, serving a stylesheet: were it fetched, its text would be in the PDF."""
    _Recorder.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def secret_file(tmp_path):
    """A stylesheet on disk outside the static folders, and a picture: were either read, it would show."""
    css = tmp_path / "secret.css"
    css.write_text('body::after { content: "READ-FROM-DISK"; }')
    return css


@pytest.fixture
def watched(monkeypatch):
    """Record every file opened by Python and every network connection attempted while rendering."""
    opened, connections = [], []
    real_open, real_connect = builtins.open, socket.socket.connect

    def recording_open(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    def recording_connect(sock, address):
        connections.append(address)
        return real_connect(sock, address)

    monkeypatch.setattr(builtins, "open", recording_open)
    monkeypatch.setattr(socket.socket, "connect", recording_connect)
    return opened, connections


def hostile_html(*, other_host: str, secret: Path) -> str:
    return f"""<!DOCTYPE html><html><head>
<link rel="stylesheet" href="/static/pdf/print.css">
<link rel="stylesheet" href="{other_host}/evil.css">
<link rel="stylesheet" href="file://{secret}">
<link rel="stylesheet" href="data:text/css,body%3A%3Abefore%7Bcontent%3A%22FROM-A-DATA-URL%22%7D">
<link rel="stylesheet" href="/static/../earlyhelp/settings.py">
</head><body>
<p>Visible paragraph</p>
<img src="file:///etc/passwd" alt="">
<img src="{other_host}/pixel.png" alt="">
<img src="/static/%2e%2e/earlyhelp/settings.py" alt="">
</body></html>"""


def test_html_to_pdf_without_the_fetcher_would_read_them(secret_file):
    """The control: WeasyPrint's own fetcher reads file: and data: URLs, so the test below can see a leak."""
    import weasyprint

    html = hostile_html(other_host="http://127.0.0.1:9", secret=secret_file)
    content = weasyprint.HTML(string=html, base_url=BASE_URL).write_pdf()
    text = pdf_text(content)
    assert "READ-FROM-DISK" in text
    assert "FROM-A-DATA-URL" in text


def test_html_to_pdf_renders_without_anything_but_static_files(other_host, secret_file, watched, caplog):
    opened, connections = watched
    with caplog.at_level(logging.WARNING, logger="earlyhelp.pdf"):
        rendered = html_to_pdf(hostile_html(other_host=other_host, secret=secret_file))

    text = pdf_text(rendered.content)
    assert "Visible paragraph" in text
    assert "OFFICIAL-SENSITIVE" in text  # the static print stylesheet was applied (its running header)
    for leaked in ("FROM-ANOTHER-HOST", "READ-FROM-DISK", "FROM-A-DATA-URL", "root:"):
        assert leaked not in text

    refusals = [r.getMessage() for r in caplog.records if r.name == "earlyhelp.pdf"]
    for url in (
        f"{other_host}/evil.css",
        f"file://{secret_file}",
        "data:text/css",
        "file:///etc/passwd",
        f"{other_host}/pixel.png",
        "earlyhelp/settings.py",
    ):
        assert any(url in message for message in refusals), url

    assert _Recorder.requests == []
    assert connections == []
    assert str(secret_file) not in opened
    assert "/etc/passwd" not in opened
    reads_outside_python = [p for p in opened if not p.endswith(".py") and "site-packages" not in p]
    assert [Path(p).resolve() for p in reads_outside_python] == [PRINT_CSS.resolve()]


@pytest.mark.django_db
def test_plan_pdf_prints_markup_in_a_goal_literally(
    own_family, cfs_worker_user, django_capture_on_commit_callbacks, other_host, caplog
):
    goal = f'Go to school <img src="file:///etc/passwd"> <link rel="stylesheet" href="{other_host}/evil.css"> daily'
    plan = make_plan(own_family, cfs_worker_user, goal_text=goal)
    with caplog.at_level(logging.WARNING, logger="earlyhelp.pdf"):
        request = ask_for_plan(cfs_worker_user, plan, django_capture_on_commit_callbacks)

    assert request.status == "ready"
    text = pdf_text(stored_bytes(request.document))
    # Lines wrap where the PDF's lines do (inside the long URL too), so compare without whitespace.
    assert "".join(goal.split()) in "".join(text.split())
    assert "FROM-ANOTHER-HOST" not in text
    assert _Recorder.requests == []
    # Escaped, the markup is text: nothing even tried to fetch it.
    assert not [r for r in caplog.records if r.name == "earlyhelp.pdf"]


@pytest.mark.django_db
def test_document_html_escapes_user_text(own_family, cfs_worker_user):
    from cases.selectors.plans import plan_page
    from documents.kinds import PLAN

    plan = make_plan(own_family, cfs_worker_user, goal_text='<img src="file:///etc/passwd">')
    html = services.document_html(
        spec=PLAN, user=cfs_worker_user, record=plan_page(user=cfs_worker_user, uuid=plan.uuid)
    )
    assert '<img src="file:///etc/passwd">' not in html
    assert "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in html
