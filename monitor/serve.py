"""`monitor serve`: the digest archive on the web and one-click unsubscribe (RFC 8058), as an ASGI app.

    GET  /                       the archive's index.html (every digest, newest first)
    GET  /<stem>.html|.txt|.json one digest; /atom.xml the Atom feed of past digests
    GET  /unsubscribe/<token>    a one-button confirmation page in the subscriber's language
    POST /unsubscribe/<token>    unsubscribes at once: what a mail client's one-click "Unsubscribe"
                                 sends (body ``List-Unsubscribe=One-Click``), and the page's button

An unknown token gets a polite page (status 200: nothing to retry, nothing to alarm the reader), never
an error. The app is built on Starlette and run by uvicorn, bound to 127.0.0.1 by default: it is meant
to sit behind the operator's reverse proxy, which terminates TLS at ``digest.public_url``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .config import SERVE_HOST as DEFAULT_HOST
from .config import SERVE_PORT as DEFAULT_PORT

if TYPE_CHECKING:  # starlette and the templates are imported when the app is built, not on import
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, Response

    from .core import Monitor

#: Archive files the app serves: digests by stem, the index and the feed (nothing hidden, no folders).
_ARCHIVE_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*\.(html|txt|json|xml)$")
_TYPES = {"html": "text/html; charset=utf-8", "txt": "text/plain; charset=utf-8",
          "json": "application/json", "xml": "application/atom+xml"}
#: Unsubscribe pages: never cached, never indexed, and the token in the URL never sent on as a referrer.
PRIVATE_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}


def _page(lang: str, title: str, message: str, *, button: str = "", status: int = 200) -> HTMLResponse:
    from starlette.responses import HTMLResponse

    from .digest import i18n
    from .digest.render import render_page

    html = render_page("unsubscribe.html.j2", lang=i18n.check_lang(lang), title=title, message=message,
                       button=button)
    return HTMLResponse(html, status_code=status, headers=PRIVATE_HEADERS)


def create_app(monitor: Monitor) -> Starlette:
    """The ASGI app serving ``monitor``'s archive folder and unsubscribe links."""
    from starlette.applications import Starlette
    from starlette.responses import FileResponse
    from starlette.routing import Route

    from .digest import i18n

    folder = monitor.config.digest.output_path()
    default_lang = monitor.config.digest.locale
    watch = monitor.watch_names()

    def archive_file(request: Request) -> Response:
        name = request.path_params.get("name") or "index.html"
        path = folder / name
        if not _ARCHIVE_FILE.match(name) or not path.is_file():
            return _not_found(default_lang)
        return FileResponse(path, media_type=_TYPES[name.rsplit(".", 1)[1]])

    def unsubscribe(request: Request) -> Response:
        token = request.path_params["token"]
        subscriber = monitor.subscriber_by_token(token)
        lang = subscriber.lang if subscriber else default_lang
        t = i18n.messages(lang)
        title = watch.title(lang)
        if subscriber is None:
            return _page(lang, t["unsub_title"], t["unsub_unknown"])
        if request.method == "POST":
            monitor.unsubscribe(token)
        elif subscriber.active:
            question = t["unsub_question"].format(title=title, email=subscriber.email)
            return _page(lang, t["unsub_title"], question, button=t["unsub_button"])
        return _page(lang, t["unsub_title"], t["unsub_done"].format(title=title, email=subscriber.email))

    return Starlette(routes=[
        Route("/unsubscribe/{token}", unsubscribe, methods=["GET", "POST"]),
        Route("/", archive_file),
        Route("/{name}", archive_file),
    ])


def _not_found(lang: str) -> HTMLResponse:
    from starlette.responses import HTMLResponse

    from .digest import i18n
    from .digest.render import render_page

    t = i18n.messages(lang)
    return HTMLResponse(render_page("unsubscribe.html.j2", lang=i18n.check_lang(lang), title=t["not_found"],
                                    message=t["not_found_text"], button=""), status_code=404)


def serve(monitor: Monitor, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Run the app with uvicorn until interrupted (SIGINT / SIGTERM)."""
    import uvicorn

    # No access log: unsubscribe URLs carry tokens, which do not belong in the journal.
    uvicorn.run(create_app(monitor), host=host, port=port, log_level="info", proxy_headers=True,
                server_header=False, access_log=False)


__all__ = ["create_app", "serve", "DEFAULT_HOST", "DEFAULT_PORT"]
