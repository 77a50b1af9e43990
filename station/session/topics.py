"""Topic objects: a large class (the session, the controller) split by topic with composition.

A topic keeps no state of its own. It reads its owner's attributes and calls its owner's methods by their plain
names (`self.store`, `self.bound()`, `self._outcome(...)` answer from the owner), so a method moved into a topic
reads as it did in the owner. It never assigns an attribute of its own: state the owner keeps is set on the owner
(`self.owner.reader = ...`). The owner answers each topic method by its old name (`routes` + `forward`), so no
caller changes: `session.scan(...)` is `session.checkin.scan(...)`.
"""
from __future__ import annotations

from typing import Any, Iterable


class Topic:
    """One topic of an owner's methods (see the module docstring)."""

    def __init__(self, owner: Any) -> None:
        object.__setattr__(self, "owner", owner)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.owner, name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} keeps no state: set {name!r} on its owner (self.owner.{name})")


def routes(topics: Iterable[tuple[str, type[Topic]]]) -> dict[str, str]:
    """Method name -> the owner's attribute holding the topic that answers it."""
    return {name: attr for attr, cls in topics for name, value in vars(cls).items()
            if callable(value) and not name.startswith("__")}


def forward(owner: Any, table: dict[str, str], name: str) -> Any:
    """The owner's `__getattr__`: a topic method asked by its old name on the owner."""
    attr = table.get(name)
    if attr is None or attr not in vars(owner):
        raise AttributeError(f"{type(owner).__name__!s} has no attribute {name!r}")
    return getattr(vars(owner)[attr], name)
