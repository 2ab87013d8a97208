"""The web pages, served from web/ by the bot itself: start page, favicon, widget script, demo, console, editor page, API docs."""

from html import escape
from importlib.resources import files
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse

from bot.errors import NotFound
from kefu.kbs import KnowledgeBase, find_kb, list_kbs

WEB_DIR = Path(__file__).resolve().parent.parent.parent / "web"
# No inline script anywhere; console and editor pages may not be framed by other sites.
PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'"
STAFF_CSP = PAGE_CSP + "; frame-ancestors 'none'"
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

router = APIRouter(include_in_schema=False)


def swagger_ui_dir() -> Path:
    """swagger-ui 5 (it reads OpenAPI 3.1, which FastAPI writes; swagger-ui-bundle's 4.15 cannot) as
    the fastapi-offline package ships it; only its files are used, the page is web/docs.html."""
    return Path(str(files("fastapi_offline") / "static"))


def web_file(name: str) -> Path:
    """The file under web/, or a JSON 404 (not a 500) while a page is not there."""
    path = WEB_DIR / name
    if not path.is_file():
        raise NotFound(f"页面 {name} 不存在 / page {name} is not installed")
    return path


def page(name: str, csp: str) -> FileResponse:
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": csp}
    if csp == STAFF_CSP:
        headers["X-Frame-Options"] = "DENY"
    return FileResponse(web_file(name), media_type="text/html; charset=utf-8", headers=headers)


@router.get("/")
def home() -> FileResponse:
    return page("index.html", PAGE_CSP)


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    # An SVG under the name browsers ask for by default; the pages also point at it with <link rel="icon">.
    headers = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=86400"}
    return FileResponse(web_file("static/favicon.svg"), media_type="image/svg+xml", headers=headers)


@router.get("/widget.js")
def widget() -> FileResponse:
    # Any site may load the widget script; it talks to the endpoint named in its tag.
    headers = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"}
    return FileResponse(web_file("widget.js"), media_type="application/javascript; charset=utf-8", headers=headers)


DEMO_KB = "dairy"  # the first company of the sample knowledge bases


def demo_page(template: str, kb: KnowledgeBase, others: list[KnowledgeBase]) -> str:
    """The demo page of one company's kb: its name, and links to the others' pages (all text escaped)."""
    links = "".join(f'<li><a href="/demo?kb={escape(o.id)}">{escape(o.name)}</a><p>{escape(o.organization)}</p></li>' for o in others)
    values = {"name": kb.name, "organization": kb.organization, "kb": kb.id}
    for key, value in values.items():
        template = template.replace("{{" + key + "}}", escape(value))
    return template.replace("{{others}}", links)


@router.get("/demo")
def demo(request: Request, kb: Annotated[str | None, Query(max_length=40)] = None) -> HTMLResponse:
    """A sample company page with the widget answering from that company's kb (default: the dairy's)."""
    settings = request.app.state.settings
    chosen = find_kb(settings, kb or DEMO_KB)
    others = [other for other in list_kbs(settings) if other.id != chosen.id]
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": PAGE_CSP}
    return HTMLResponse(demo_page(web_file("demo.html").read_text(encoding="utf-8"), chosen, others), headers=headers)


@router.get("/console")
def console() -> FileResponse:
    return page("console.html", STAFF_CSP)


@router.get("/admin")
def admin() -> FileResponse:
    return page("admin.html", STAFF_CSP)


@router.get("/docs")
def api_docs() -> FileResponse:
    # swagger-ui's files come from a package (swagger_ui_dir), mounted under /static/swagger-ui by bot.app.
    return page("docs.html", PAGE_CSP)
