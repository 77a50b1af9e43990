"""The console's page registry (station.console.pages): every tab has its page, its title and its routes, and
create_app serves exactly what the registry says, so a new page is one registry entry (plus its template and
title), not an edit of create_app."""
from __future__ import annotations

from collections import Counter

from starlette.responses import JSONResponse
from starlette.routing import Route

from station.console.app import STATIC, create_app
from station.console.pages import CONSOLE_PAGES, Page
from station.console.texts import texts


def _served(app) -> Counter:
    return Counter((r.path, method) for r in app.routes if isinstance(r, Route) for method in r.methods or ())


def test_every_tab_has_its_template_and_its_title() -> None:
    templates = STATIC.parent / "templates"
    tabs = [p.name for p in CONSOLE_PAGES if p.nav]
    assert tabs[0] == "shoot" and set(tabs) == {"shoot", "desk", "review", "day"}
    for name in tabs:
        assert (templates / f"{name}.html").is_file(), name
        assert texts()[name], name


def test_the_app_serves_what_the_registry_lists_and_no_path_twice() -> None:
    served = _served(create_app(None))       # routes only: no request is made, so no station is needed
    assert all(n == 1 for n in served.values()), [k for k, n in served.items() if n > 1]
    for path in ("/", "/shoot", "/desk", "/review", "/day", "/pair", "/api/day", "/api/roster", "/live/frame"):
        assert (path, "GET") in served, path
    assert ("/api/action", "POST") in served and ("/api/export", "POST") in served


def test_a_page_added_to_the_registry_gets_its_tab_and_its_routes() -> None:
    async def hello(request, who):
        return JSONResponse({"hello": True})
    extra = Page("extra", lambda web: [Route("/api/extra", web.guarded(hello), methods=["GET"])])
    served = _served(create_app(None, pages=[*CONSOLE_PAGES, extra]))
    assert ("/extra", "GET") in served and ("/api/extra", "GET") in served
    assert ("/extra", "GET") not in _served(create_app(None))
