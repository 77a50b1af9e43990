"""What every console page's routes share: the station's state, the pairing guard, the page template, and the
small request/response helpers. A page (station.console.pages) builds its routes from one `Web`."""
from __future__ import annotations

import json
from typing import Any, Awaitable, Callable

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from station.console.security import COOKIE, CSRF_HEADER, Paired, SESSION_SECONDS
from station.console.state import ConsoleState
from station.console.texts import texts

Handler = Callable[[Request, Paired], Awaitable[Response]]

_templates = Environment(loader=PackageLoader("station.console", "templates"),
                         autoescape=select_autoescape(["html"]))


class Web:
    """One station's console as its routes see it: `state`, the tabs `nav` shows, the guard and the renderer."""

    def __init__(self, state: ConsoleState, nav: tuple[str, ...]) -> None:
        self.state = state
        self.nav = nav
        self.next_paths = frozenset(["/", *(f"/{name}" for name in nav)])

    # ------------------------------------------------------------------ guards
    def paired(self, request: Request) -> Paired | None:
        return self.state.pairing.session(request.cookies.get(COOKIE))

    def unpaired(self, request: Request) -> Response:
        if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
            return RedirectResponse(f"/pair?next={request.url.path}", status_code=303)
        return JSONResponse({"error": texts()["pair_title"]}, status_code=401)

    def guarded(self, handler: Handler, *, post: bool = False) -> Callable[[Request], Awaitable[Response]]:
        """Only a paired session reaches `handler` (401 or the pairing page otherwise); a POST also needs the
        session's CSRF token."""
        async def endpoint(request: Request) -> Response:
            who = self.paired(request)
            if who is None:
                return self.unpaired(request)
            if post and not self.state.pairing.csrf_ok(who, request.headers.get(CSRF_HEADER)):
                return JSONResponse({"error": "CSRF token missing or wrong"}, status_code=403)
            return await handler(request, who)
        return endpoint

    # ------------------------------------------------------------------ pages
    def template(self, name: str, **values: Any) -> str:
        return _templates.get_template(name).render(**values)

    def page(self, name: str) -> Handler:
        """The HTML of tab `name` (templates/NAME.html): the header, the tabs, the texts, the CSRF token."""
        async def handler(request: Request, who: Paired) -> Response:
            state = self.state
            html = self.template(
                f"{name}.html", T=texts(), page=name, pages=self.nav, csrf=who.csrf, state=state.header(),
                station=who.station, texts_json=json.dumps(texts(), ensure_ascii=False),
                geometry_json=json.dumps(state.geometry(), ensure_ascii=False))
            return HTMLResponse(html, headers={"Cache-Control": "no-store"})
        return handler

    def safe_next(self, value: Any) -> str:
        """Only one of this console's own pages ("/shoot"...): the pairing page never sends a browser elsewhere,
        whatever a link's `next` says (//host, a scheme, an encoded line break)."""
        return value if isinstance(value, str) and value in self.next_paths else "/"


# ---------------------------------------------------------------------------------------------- helpers
def sse(kind: str, payload: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps(payload, ensure_ascii=False, default=str)}\n\n"


def client(request: Request) -> str:
    return request.client.host if request.client else "?"


def with_cookie(response: Response, who: Paired) -> Response:
    response.set_cookie(COOKIE, who.sid, max_age=SESSION_SECONDS, httponly=True, samesite="strict", path="/")
    return response


async def json_body(request: Request) -> dict[str, Any] | None:
    """The JSON object a request carries; None when it is not declared application/json (a form or text/plain
    body, which any web page can send blind, is never read as JSON); {} for a malformed one."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        return None
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def not_json() -> Response:
    return JSONResponse({"error": "expected Content-Type: application/json"}, status_code=415)
