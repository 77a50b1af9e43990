"""The console's pages, one registry: each `Page` names itself and builds its own routes from a `Web`.

A new page is one entry in CONSOLE_PAGES (its routes here), its template templates/NAME.html and its tab's
title in station.console.texts; create_app reads nothing else. A page with `nav` gets the GET /NAME route and a
tab in the header; the first one is also "/". Every route but /pair's goes through `web.guarded`.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from config.errors import DomainError
from station.console.actions import ActionError, event_for
from station.console.hub import stream
from station.console.security import BLOCKED, LOCKED, Paired
from station.console.texts import texts
from station.console.web import Web, client, json_body, not_json, sse, with_cookie

log = logging.getLogger("station.console.app")      # the name the server rate-limits

ACTION_TIMEOUT = 60.0


@dataclass(frozen=True)
class Page:
    """One page of the console: `routes` builds its routes (its API, images...); `nav`: a tab in the header."""
    name: str
    routes: Callable[[Web], list[BaseRoute]]
    nav: bool = True


# ---------------------------------------------------------------------------------------------- shared
def station_routes(web: Web) -> list[BaseRoute]:
    """What every page uses: the pushed state, the actions, the takes' pictures."""
    state = web.state

    async def api_state(request: Request, who: Paired) -> Response:
        return Response(state.state_json_text(), media_type="application/json",
                        headers={"Cache-Control": "no-store"})

    async def api_events(request: Request, who: Paired) -> Response:
        body = stream(state.hub, lambda: sse("state", state.state_json()),
                      is_disconnected=request.is_disconnected)
        return StreamingResponse(body, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def api_action(request: Request, who: Paired) -> Response:
        body = await json_body(request)
        if body is None:
            return not_json()
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

    async def take_image(request: Request, who: Paired) -> Response:
        take_id, kind = int(request.path_params["take_id"]), request.path_params["kind"]
        data = await asyncio.to_thread(state.images.take_image, take_id, kind)
        if data is None:
            return Response(status_code=404)
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})

    return [Route("/api/state", web.guarded(api_state), methods=["GET"]),
            Route("/api/events", web.guarded(api_events), methods=["GET"]),
            Route("/api/action", web.guarded(api_action, post=True), methods=["POST"]),
            Route("/take/{take_id:int}/{kind:str}.jpg", web.guarded(take_image), methods=["GET"])]


# ---------------------------------------------------------------------------------------------- pairing
def pair_routes(web: Web) -> list[BaseRoute]:
    """The pairing page: a device pairs with the one-time link or the PIN (the only routes with no guard)."""
    state = web.state

    async def pair_page(request: Request) -> Response:
        nxt = web.safe_next(request.query_params.get("next"))
        token = request.query_params.get("token")
        if token:
            who = state.pairing.pair_with_link(token, client(request), request.headers.get("user-agent", ""))
            if who is not None:
                (state.workspace / "console-open.html").unlink(missing_ok=True)    # used: nothing left to read
                # a page that moves on by itself, not a 303: the browser may have come from the owner-only file
                # (file://), and a SameSite=Strict cookie is not sent along a redirect that began off-site
                page = (f'<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url={nxt}">'
                        f'<a href="{nxt}">{texts()["title"]}</a>')
                return with_cookie(HTMLResponse(page, headers={"Cache-Control": "no-store"}), who)
        html = web.template("pair.html", T=texts(), next=nxt, state=state.header())
        return HTMLResponse(html, status_code=401)

    async def pair_submit(request: Request) -> Response:
        body = await json_body(request)
        if body is None:
            return not_json()
        who, why = state.pairing.try_pin(str(body.get("pin", ""))[:16], client(request),
                                         request.headers.get("user-agent", ""))
        if who is None:
            if why == LOCKED:
                return JSONResponse({"error": texts()["pairing_locked"]}, status_code=423)
            if why == BLOCKED:
                return JSONResponse({"error": texts()["pin_blocked"]}, status_code=429)
            return JSONResponse({"error": texts()["wrong_pin"]}, status_code=401)
        log.warning("console: a device paired with the PIN from %s", client(request))
        return with_cookie(JSONResponse({"ok": True, "next": web.safe_next(body.get("next"))}), who)

    return [Route("/pair", pair_page, methods=["GET"]),
            Route("/pair", pair_submit, methods=["POST"])]


def pairing_routes(web: Web) -> list[BaseRoute]:
    """The paired devices: the list every page shows, the station's own controls (reopen, renew, revoke), the QR."""
    state = web.state

    async def api_pairing(request: Request, who: Paired) -> Response:
        return JSONResponse(state.pairing_view(who))

    async def pairing_qr(request: Request, who: Paired) -> Response:
        if not who.station or not state.pair_urls:
            return Response(status_code=404)
        return Response(pairing_qr_svg(state.pair_urls[0]), media_type="image/svg+xml",
                        headers={"Cache-Control": "no-store"})

    async def api_pairing_post(request: Request, who: Paired) -> Response:
        body = await json_body(request)
        if body is None:
            return not_json()
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

    return [Route("/api/pairing", web.guarded(api_pairing), methods=["GET"]),
            Route("/api/pairing", web.guarded(api_pairing_post, post=True), methods=["POST"]),
            Route("/pairing/qr.svg", web.guarded(pairing_qr), methods=["GET"])]


def pairing_qr_svg(url: str) -> bytes:
    """The pairing address as a QR code (SVG) a tablet's camera opens."""
    import io
    import segno
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False, svgns=True)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------- the tabs
def shoot_routes(web: Web) -> list[BaseRoute]:
    """The shooting page: live view, and why a refused take missed."""
    state = web.state

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

    async def take_misses(request: Request, who: Paired) -> Response:
        found = await asyncio.to_thread(state.images.take_nearest, int(request.path_params["take_id"]))
        return JSONResponse({"misses": found[1] if found else None})

    return [Route("/live/frame", web.guarded(live_frame), methods=["GET"]),
            Route("/api/take/{take_id:int}/misses", web.guarded(take_misses), methods=["GET"])]


def desk_routes(web: Web) -> list[BaseRoute]:
    """The ID-card desk: find a student, show one."""
    state = web.state

    async def api_roster(request: Request, who: Paired) -> Response:
        found = await asyncio.to_thread(state.search_roster, request.query_params.get("q", ""))
        return JSONResponse({"students": found})

    async def api_subject(request: Request, who: Paired) -> Response:
        found = await asyncio.to_thread(state.student, int(request.path_params["subject_id"]))
        if found is None:
            return JSONResponse({"error": "no such student"}, status_code=404)
        return JSONResponse({"student": found})

    return [Route("/api/roster", web.guarded(api_roster), methods=["GET"]),
            Route("/api/subject/{subject_id:int}", web.guarded(api_subject), methods=["GET"])]


def review_routes(web: Web) -> list[BaseRoute]:
    """Who is still to decide, by college and class."""
    async def api_review(request: Request, who: Paired) -> Response:
        return JSONResponse(await asyncio.to_thread(web.state.review))

    return [Route("/api/review", web.guarded(api_review), methods=["GET"])]


def day_routes(web: Web) -> list[BaseRoute]:
    """The day's progress against the schedule, and the export."""
    state = web.state

    async def api_day(request: Request, who: Paired) -> Response:
        return JSONResponse(await asyncio.to_thread(state.day))

    async def api_export(request: Request, who: Paired) -> Response:
        body = await json_body(request)
        if body is None:
            return not_json()
        try:
            job = state.start_export(body.get("outdir") or None)
        except DomainError as exc:
            return JSONResponse({"ok": False, "error": str(exc)}, status_code=409)
        return JSONResponse({"ok": True, "export": job})

    return [Route("/api/day", web.guarded(api_day), methods=["GET"]),
            Route("/api/export", web.guarded(api_export, post=True), methods=["POST"])]


#: the registry: the tabs in header order (the first is also "/"), then the pages without a tab
CONSOLE_PAGES: list[Page] = [
    Page("shoot", shoot_routes),
    Page("desk", desk_routes),
    Page("review", review_routes),
    Page("day", day_routes),
    Page("pair", pair_routes, nav=False),
    Page("pairing", pairing_routes, nav=False),
    Page("station", station_routes, nav=False),
]
