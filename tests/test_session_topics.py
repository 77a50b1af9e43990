"""The session and the controller are split by topic (station.session.topics, issue 21): every caller still asks
them by the old names, and a topic keeps no state of its own (the owner's state is set on the owner)."""
from __future__ import annotations

from pathlib import Path

import pytest

import workspace_factory as wf
from station.session.actions import TOPICS, Session
from station.session.controller import StationController
from station.session.triggers import ReaderStatus


def test_the_session_and_the_controller_answer_their_topics_methods_by_the_old_names(tmp_path: Path) -> None:
    store = wf.new_workspace(tmp_path / "ws")
    try:
        session = Session(store)
        for attr, cls in TOPICS:
            for name in (n for n in vars(cls) if not n.startswith("__")):
                assert getattr(session, name).__self__ is getattr(session, attr)
        with pytest.raises(AttributeError):
            session.no_such_action  # noqa: B018
        controller = StationController(session)
        assert controller.desk.session is session and controller.decide.store is store
        with pytest.raises(AttributeError, match="keeps no state"):
            controller.desk.reader = None
        # a desk handler sets the controller's own state: the reader line every screen shows
        controller.handle(ReaderStatus("connected", port="/dev/ttyUSB0"))
        assert controller.snapshot().reader is not None and controller.snapshot().reader.port == "/dev/ttyUSB0"
    finally:
        store.close()
