"""The console's web app (Starlette): pages, the JSON API, server push, images and live view.

Every route is a view: state comes from the station runtime's snapshot and the read model's queries, actions
go to the runtime as typed events (station.console.actions). Nothing here decides what an action means.
Every route but /pair and /static needs a paired session (401 otherwise, and nothing changes); every POST
needs the session's CSRF token.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from config.errors import DomainError
from station.console.actions import ActionError, event_for
from station.console.hub import Hub, stream
from station.console.security import BLOCKED, COOKIE, CSRF_HEADER, LOCKED, Paired, SESSION_SECONDS
from station.console.state import ConsoleState
from station.console.texts import texts

log = logging.getLogger(__name__)

PAGES = ("shoot", "desk", "review", "day")
NEXT_PATHS = frozenset(["/", *(f"/{name}" for name in PAGES)])
STATIC = Path(__file__).resolve().parent / "static"
ACTION_TIMEOUT = 60.0

_templates = Environment(loader=PackageLoader("station.console", "templates"),
                         autoescape=select_autoescape(["html"]))


def create_app(state: ConsoleState) -> Starlette:
    """The ASGI app for one station: `state` holds the runtime, the read model, live view and pairing."""

    @asynccontextmanager
    async def lifespan(app: Starlette):
        state.hub.bind(asyncio.get_running_loop())
        unsubscribe = state.subscribe(lambda: state.hub.publish("state", state.state_json()))
        try:
            yield
        finally:
            unsubscribe()

    # ------------------------------------------------------------------ guards
    def paired(request: Request) -> Paired | None:
        return state.pairing.session(request.cookies.get(COOKIE))

    def unpaired(request: Request) -> Response:
        if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
            return RedirectResponse(f"/pair?next={request.url.path}", status_code=303)
        return JSONResponse({"error": texts()["pair_title"]}, status_code=401)

    def guarded(handler, *, post: bool = False):
        async def endpoint(request: Request) -> Response:
            who = paired(request)
            if who is None:
                return unpaired(request)
            if post and not state.pairing.csrf_ok(who, request.headers.get(CSRF_HEADER)):
                return JSONResponse({"error": "CSRF token missing or wrong"}, status_code=403)
            return await handler(request, who)
        return endpoint

    # ------------------------------------------------------------------ pairing
    async def pair_page(request: Request) -> Response:
        nxt = _safe_next(request.query_params.get("next"))
        token = request.query_params.get("token")
        if token:
            who = state.pairing.pair_with_link(token, _client(request), request.headers.get("user-agent", ""))
            if who is not None:
                (state.workspace / "console-open.html").unlink(missing_ok=True)    # used: nothing left to read
                # a page that moves on by itself, not a 303: the browser may have come from the owner-only file
                # (file://), and a SameSite=Strict cookie is not sent along a redirect that began off-site
                page = (f'<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url={nxt}">'
                        f'<a href="{nxt}">{texts()["title"]}</a>')
                return _with_cookie(HTMLResponse(page, headers={"Cache-Control": "no-store"}), who)
        html = _templates.get_template("pair.html").render(T=texts(), next=nxt, state=state.header())
        return HTMLResponse(html, status_code=401)

    async def pair_submit(request: Request) -> Response:
        body = await _json(request)
        if body is None:
            return _not_json()
        who, why = state.pairing.try_pin(str(body.get("pin", ""))[:16], _client(request),
                                         request.headers.get("user-agent", ""))
        if who is None:
            if why == LOCKED:
                return JSONResponse({"error": texts()["pairing_locked"]}, status_code=423)
            if why == BLOCKED:
                return JSONResponse({"error": texts()["pin_blocked"]}, status_code=429)
            return JSONResponse({"error": texts()["wrong_pin"]}, status_code=401)
        log.warning("console: a device paired with the PIN from %s", _client(request))
        return _with_cookie(JSONResponse({"ok": True, "next": _safe_next(body.get("next"))}), who)

    # ------------------------------------------------------------------ pages
    def page(name: str):
        async def handler(request: Request, who: Paired) -> Response:
            html = _templates.get_template(f"{name}.html").render(
                T=texts(), page=name, pages=PAGES, csrf=who.csrf, state=state.header(), station=who.station,
                texts_json=json.dumps(texts(), ensure_ascii=False),
                geometry_json=json.dumps(state.geometry(), ensure_ascii=False))
            return HTMLResponse(html, headers={"Cache-Control": "no-store"})
        return handler

    # ------------------------------------------------------------------ JSON API
    async def api_state(request: Request, who: Paired) -> Response:
        return Response(state.state_json_text(), media_type="application/json",
                        headers={"Cache-Control": "no-store"})

    async def api_events(request: Request, who: Paired) -> Response:
        body = stream(state.hub, lambda: _sse("state", state.state_json()),
                      is_disconnected=request.is_disconnected)
        return StreamingResponse(body, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def api_pairing(request: Request, who: Paired) -> Response:
        return JSONResponse(state.pairing_view(who))

    async def pairing_qr(request: Request, who: Paired) -> Response:
        if not who.station or not state.pair_urls:
            return Response(status_code=404)
        return Response(pairing_qr_svg(state.pair_urls[0]), media_type="image/svg+xml",
                        headers={"Cache-Control": "no-store"})

    async def api_pairing_post(request: Request, who: Paired) -> Response:
        body = await _json(request)
        if body is None:
            return _not_json()
        if not who.station:
            return JSONResponse({"ok": False, "error": texts()["station_only"]}, status_code=403)
        op = body.get("op")
        if op == "reopen":
            state.pairing.reopen()
        elif op == "renew":
            state.pairing.renew_pin()
        elif op == "revoke" and isinstance(body.get("device"), str):
            if not state.pairing.revoke(body["device"]):
                return JSONResponse({"ok": False, "error": "no such device"}, status_code=404)
        else:
            return JSONResponse({"ok": False, "error": "unknown op"}, status_code=400)
        return JSONResponse({"ok": True, **state.pairing_view(who)})

    async def api_action(request: Request, who: Paired) -> Response:
        body = await _json(request)
        if body is None:
            return _not_json()
        try:
            event = event_for(body, at=time.monotonic(), resolve_code=state.code_of)
        except ActionError as exc:
            return JSONResponse({"ok": False, "error": str(exc)}, status_code=400)
        future = state.runtime.submit(event)
        try:
            outcome = await asyncio.wait_for(asyncio.wrap_future(future), ACTION_TIMEOUT)
        except DomainError as exc:
            return JSONResponse({"ok": False, "error": str(exc), "hint": exc.hint}, status_code=409)
        return JSONResponse({"ok": True, "outcome": state.outcome_dict(outcome)})

    async def api_roster(request: Request, who: Paired) -> Response:
        found = await asyncio.to_thread(state.search_roster, request.query_params.get("q", ""))
        return JSONResponse({"students": found})

    async def api_subject(request: Request, who: Paired) -> Response:
        found = await asyncio.to_thread(state.student, int(request.path_params["subject_id"]))
        if found is None:
            return JSONResponse({"error": "no such student"}, status_code=404)
        return JSONResponse({"student": found})

    async def api_review(request: Request, who: Paired) -> Response:
        return JSONResponse(await asyncio.to_thread(state.review))

    async def api_day(request: Request, who: Paired) -> Response:
        return JSONResponse(await asyncio.to_thread(state.day))

    async def api_export(request: Request, who: Paired) -> Response:
        body = await _json(request)
        if body is None:
            return _not_json()
        try:
            job = state.start_export(body.get("outdir") or None)
        except DomainError as exc:
            return JSONResponse({"ok": False, "error": str(exc)}, status_code=409)
        return JSONResponse({"ok": True, "export": job})

    # ------------------------------------------------------------------ images
    async def take_image(request: Request, who: Paired) -> Response:
        take_id, kind = int(request.path_params["take_id"]), request.path_params["kind"]
        data = await asyncio.to_thread(state.take_image, take_id, kind)
        if data is None:
            return Response(status_code=404)
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})

    async def take_misses(request: Request, who: Paired) -> Response:
        found = await asyncio.to_thread(state.take_nearest, int(request.path_params["take_id"]))
        return JSONResponse({"misses": found[1] if found else None})

    async def live_frame(request: Request, who: Paired) -> Response:
        after = int(request.query_params.get("after", "0") or 0)
        frame = await asyncio.to_thread(state.live_frame, after)
        if frame is None:
            return JSONResponse(state.live_status(), status_code=503)
        return Response(frame.jpeg, media_type="image/jpeg",
                        headers={"Cache-Control": "no-store", "X-Frame": str(frame.number),
                                 "X-Ready": "1" if frame.ready else "0", "X-Faces": str(frame.faces),
                                 "X-Histogram": ",".join(map(str, frame.histogram)), "X-Why": frame.why,
                                 "X-Age-Ms": f"{(time.monotonic() - frame.made_at) * 1000:.0f}",
                                 "X-Settings": json.dumps(state.live.settings if state.live else {})})

    routes = [
        Route("/pair", pair_page, methods=["GET"]),
        Route("/pair", pair_submit, methods=["POST"]),
        Route("/", guarded(page("shoot")), methods=["GET"]),
        *[Route(f"/{name}", guarded(page(name)), methods=["GET"]) for name in PAGES],
        Route("/api/state", guarded(api_state), methods=["GET"]),
        Route("/api/pairing", guarded(api_pairing), methods=["GET"]),
        Route("/api/pairing", guarded(api_pairing_post, post=True), methods=["POST"]),
        Route("/pairing/qr.svg", guarded(pairing_qr), methods=["GET"]),
        Route("/api/events", guarded(api_events), methods=["GET"]),
        Route("/api/action", guarded(api_action, post=True), methods=["POST"]),
        Route("/api/roster", guarded(api_roster), methods=["GET"]),
        Route("/api/subject/{subject_id:int}", guarded(api_subject), methods=["GET"]),
        Route("/api/review", guarded(api_review), methods=["GET"]),
        Route("/api/day", guarded(api_day), methods=["GET"]),
        Route("/api/export", guarded(api_export, post=True), methods=["POST"]),
        Route("/take/{take_id:int}/{kind:str}.jpg", guarded(take_image), methods=["GET"]),
        Route("/live/frame", guarded(live_frame), methods=["GET"]),
        Route("/api/take/{take_id:int}/misses", guarded(take_misses), methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


# ---------------------------------------------------------------------------------------------- helpers
def pairing_qr_svg(url: str) -> bytes:
    """The pairing address as a QR code (SVG) a tablet's camera opens."""
    import io
    import segno
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False, svgns=True)
    return out.getvalue()


def _sse(kind: str, payload: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps(payload, ensure_ascii=False, default=str)}\n\n"


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def _safe_next(value: Any) -> str:
    """Only one of this console's own pages ("/shoot"...): the pairing page never sends a browser elsewhere,
    whatever a link's `next` says (//host, a scheme, an encoded line break)."""
    return value if isinstance(value, str) and value in NEXT_PATHS else "/"


def _with_cookie(response: Response, who: Paired) -> Response:
    response.set_cookie(COOKIE, who.sid, max_age=SESSION_SECONDS, httponly=True, samesite="strict", path="/")
    return response


async def _json(request: Request) -> dict[str, Any] | None:
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


def _not_json() -> Response:
    return JSONResponse({"error": "expected Content-Type: application/json"}, status_code=415)
