"""Page actions become the controller's typed events; a body that makes none is refused before submitting."""
from __future__ import annotations

import pytest

from station.console.actions import ActionError, event_for
from station.session import triggers as t


def test_actions_map_to_typed_events() -> None:
    assert event_for({"type": "shoot"}, at=5.0) == t.Shoot(at=5.0)
    assert event_for({"type": "accept", "take": "7", "override": " 复核无误 "}, at=1) == \
        t.Accept(take_id=7, override="复核无误", at=1, shown=True)
    assert event_for({"type": "accept"}, at=1) == t.Accept(take_id=None, override=None, at=1, shown=True)
    assert event_for({"type": "reject", "take": 3, "reason": "闭眼"}, at=1) == t.Reject(3, "闭眼", 1, shown=True)
    desk = event_for({"type": "checkin", "code": "2019000001"}, at=1)
    assert desk == t.Scan("2019000001", at=1, via="desk", queue=True)
    station = event_for({"type": "scan", "code": "2019000001"}, at=1)
    assert station.queue is None and station.via == "console"


def test_a_student_picked_in_a_list_is_named_by_id_and_resolved_on_the_server() -> None:
    codes = {4: "110105199801010011"}
    event = event_for({"type": "rebind", "take": 2, "subject": 4}, at=1, resolve_code=codes.get)
    assert event == t.Rebind(take_id=2, code="110105199801010011", reason="wrong person", at=1,
                           shown=True)
    with pytest.raises(ActionError):
        event_for({"type": "rebind", "take": 2, "subject": 99}, at=1, resolve_code=codes.get)


@pytest.mark.parametrize("body", [{}, {"type": "launch"}, {"type": "accept", "take": "seven"},
                                  {"type": "scan", "code": "  "}, {"type": "college"}])
def test_bodies_that_make_no_event_are_refused(body) -> None:
    with pytest.raises(ActionError):
        event_for(body, at=1)


def test_the_consoles_unpaid_override_binds_the_refused_student_as_the_terminals_p_does(workspace) -> None:
    """[session] unpaid = "block": the console's button sends the override with a reason; it is journalled."""
    from station.session.station import Station
    from test_unpaid_chair import UNPAID, make, overrides
    ws = make(workspace, block=True)
    with pytest.raises(ActionError):
        event_for({"type": "unpaid_override", "reason": "  "}, at=1)
    station = Station.open(ws, None)
    try:
        ctl = station.controller
        assert ctl.handle(event_for({"type": "unpaid_override", "reason": "x"}, at=1)).status == "refused"
        assert ctl.handle(event_for({"type": "scan", "code": UNPAID}, at=1)).status == "refused"
        assert ctl.snapshot().to_dict()["unpaid_blocked"]               # what the page shows the button for
        out = ctl.handle(event_for({"type": "unpaid_override", "reason": "paid in cash"}, at=2))
        snap = ctl.snapshot()
        assert out.ok and snap.bound is not None and snap.bound.paid is False and snap.unpaid_blocked is None
    finally:
        station.close()
    assert [o["reason"] for o in overrides(ws)] == ["paid in cash"]
