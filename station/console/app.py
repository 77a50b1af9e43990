"""The console's web app (Starlette): pages, the JSON API, server push, images and live view.

Every route is a view: state comes from the station runtime's snapshot and the read model's queries, actions
go to the runtime as typed events (station.console.actions). Nothing here decides what an action means.
Every route but /pair and /static needs a paired session (401 otherwise, and nothing changes); every POST
needs the session's CSRF token. The routes come from one registry, station.console.pages.CONSOLE_PAGES.
"""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from station.console.pages import CONSOLE_PAGES, Page
from station.console.state import ConsoleState
from station.console.web import Web

STATIC = Path(__file__).resolve().parent / "static"


def create_app(state: ConsoleState, pages: list[Page] | None = None) -> Starlette:
    """The ASGI app for one station: `state` holds the runtime, the read model, live view and pairing; every
    page of `pages` (the registry by default) adds its routes."""
    pages = CONSOLE_PAGES if pages is None else pages
    web = Web(state, tuple(p.name for p in pages if p.nav))

    @asynccontextmanager
    async def lifespan(app: Starlette):
        state.hub.bind(asyncio.get_running_loop())
        unsubscribe = state.subscribe(lambda: state.hub.publish("state", state.state_json()))
        try:
            yield
        finally:
            unsubscribe()

    routes: list[BaseRoute] = [Route("/", web.guarded(web.page(web.nav[0])), methods=["GET"])] if web.nav else []
    for page in pages:
        if page.nav:
            routes.append(Route(f"/{page.name}", web.guarded(web.page(page.name)), methods=["GET"]))
        routes += page.routes(web)
    routes.append(Mount("/static", StaticFiles(directory=STATIC), name="static"))
    return Starlette(routes=routes, lifespan=lifespan)

