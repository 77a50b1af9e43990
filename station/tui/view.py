"""The shoot screen, drawn with rich from the controller's `Snapshot` plus the terminal's own line/prompt state.

Nothing here reads the journal or the camera: what the screen shows is what the snapshot says, so the terminal
and the browser console cannot disagree. Key bindings and colours are the terminal's business, and live here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from station.session.snapshot import Message, Snapshot, TakeState
from station.session.triggers import TriggerSpec

#: the letters of the shoot screen -> the operator action they stand for (station.tui.app maps actions to events)
COMMAND_KEYS = {
    "a": "accept", "o": "override", "r": "reject", "x": "void", "u": "rebind", "s": "skip", "n": "next",
    "c": "college", "q": "quit", "ctrl-c": "quit", "ctrl-d": "quit", "?": "help", "p": "unpaid",
}
KEY_HELP = [("a", "accept 合格"), ("o", "accept+override 放行"), ("r", "reject+reshoot 重拍"),
            ("x", "void last 作废"), ("u", "rebind last 改绑"), ("s", "skip 跳过"), ("n", "next in queue 下一位"),
            ("c", "college 学院"), ("q", "quit 退出")]
LEVEL_STYLES = {"hint": "dim", "info": "cyan", "ok": "bold green", "warn": "bold yellow", "error": "bold red"}
MEASURES = ("crown_y", "eye_y", "face_width", "roll_deg", "yaw_ratio", "eye_open", "sharpness", "file_kb")


@dataclass(frozen=True)
class TerminalState:
    """What only the terminal knows: its key bindings, the open prompt and the line being typed."""
    shoot_keys: tuple[str, ...]
    trigger: str
    line: str = ""
    prompt: str | None = None          # the open prompt's label
    note: Message | None = None        # the terminal's own transient remark (cancelled, help...)


def style(message: Message) -> str:
    return LEVEL_STYLES.get(message.level, "")


def _shoot_key_label(name: str) -> str:
    return {"space": "SPACE", "enter": "Enter (empty line)"}.get(name, name)


READER_LABELS = {"connected": ("connected 已连接", "green"), "card": ("card read 已读卡", "bold green"),
                 "starting": ("starting 启动中", "yellow"), "refused": ("card refused 读卡失败", "bold yellow"),
                 "lost": ("ERROR 未连接", "bold white on red")}


def _reader_label(reader: Any) -> tuple[str, str]:
    text, colour = READER_LABELS.get(reader.state, (reader.state, ""))
    return (f"{text}" + (f" ({reader.detail})" if reader.detail else ""), colour)


def render(snap: Snapshot, term: TerminalState) -> Any:
    """The whole screen: header, camera, bound student, last take, queue, unbound takes, messages, keys."""
    from rich.console import Group
    from rich.text import Text

    cam = Text("camera: ")
    if snap.camera.error:
        cam.append(snap.camera.error, style="bold white on red")
    else:
        cam.append(f"{snap.camera.spec} ok", style="green")
    header = Text.assemble((" CAPTURE STATION 采集站 ", "bold white on blue"),
                           f"  station {snap.station_id}",
                           f"  room {snap.room or '-'}",
                           "  college ", (snap.college or "(not set: c)", "bold" if snap.college else "yellow"),
                           f"  operator {snap.operator or '-'}",
                           "  " + ("QUEUE MODE" if snap.queue_mode else ""))
    if snap.reader is not None:
        cam.append("   ID-card reader 读卡器: ")
        cam.append(*_reader_label(snap.reader))
    parts: list[Any] = [header, cam]
    for warning in snap.camera.warnings:
        parts.append(Text("camera warning: " + warning, style="yellow"))
    parts.append(_student_panel(snap))
    if snap.last_take is not None:
        parts.append(_take_panel(snap.last_take))
    if snap.queue or snap.queue_mode:
        names = ", ".join(f"{q.shoot_no}:{q.name or q.code}" for q in snap.queue[:8])
        parts.append(Text(f"queue 排队 ({len(snap.queue)}): {names}{' …' if len(snap.queue) > 8 else ''}",
                          style="cyan"))
    if snap.unbound:
        parts.append(Text(f"UNBOUND takes to rebind or void: {', '.join(str(t.take_id) for t in snap.unbound[-6:])}",
                          style="bold red"))
    for message in snap.messages[-6:]:
        parts.append(Text(message.text, style=style(message)))
    if term.note is not None:
        parts.append(Text(term.note.text, style=style(term.note)))
    shoot = " / ".join(_shoot_key_label(k) for k in term.shoot_keys)
    trigger = TriggerSpec.parse(term.trigger)
    if trigger.kind == "camera":
        shoot = "camera button"
    elif trigger.pedal:
        shoot += " / pedal"
    parts.append(Text.assemble(("shoot 拍摄: ", "bold"), (shoot, "bold green"), "   ",
                               *[x for k, label in KEY_HELP for x in ((k, "bold cyan"), (f" {label}  ", ""))]))
    parts.append(Text("scan = bind (fast scanner burst); digits + Enter = typed code; / = type a code with letters",
                      style="dim"))
    if term.prompt is not None:
        parts.append(Text.assemble((term.prompt, "bold yellow"), term.line, ("█", "blink")))
    elif term.line:
        parts.append(Text.assemble(("code> ", "bold"), term.line, ("█", "blink")))
    return Group(*parts)


def _student_panel(snap: Snapshot) -> Any:
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text
    bound = snap.bound
    if bound is None:
        return Panel(Text("NOBODY BOUND — scan a student card / 请扫码", style="bold yellow", justify="center"),
                     title="student 学生", border_style="yellow")
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim")
    grid.add_column()
    grid.add_row("name 姓名", Text(bound.name or "-", style="bold white"))
    grid.add_row("student no 学号", bound.student_no or "-")
    grid.add_row("ID 身份证", bound.id_number or "-")
    grid.add_row("college 学院", bound.college or "-")
    grid.add_row("class 班级", bound.class_name or "-")
    grid.add_row("takes 已拍", f"{bound.takes}" + (f" ({bound.rejected} rejected)" if bound.rejected else ""))
    number = bound.shoot_no
    title = Text.assemble(("  No. ", "bold"), (f"{number or '-'}", "bold white on green"),
                          ("   ", ""), (bound.name or bound.code, "bold"), ("   ", ""), (bound.code, "bold cyan"))
    side = Table.grid(padding=(0, 3))
    side.add_column()
    side.add_column()
    side.add_row(Text("\n".join(big_digits(str(number or "-"))), style="bold green"), grid)
    body: list[Any] = [title, side]
    if bound.paid is False:
        body.append(Text("  NOT PAID 未缴费 — check before shooting  ", style="bold white on red"))
    return Panel(Group(*body), title="BOUND 当前学生", border_style="green")


def _take_panel(take: TakeState) -> Any:
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text
    ok = take.status == "pass"
    verdict = (("PASS 合格", "bold white on green") if ok else
               ("NOT YET CHECKED 尚未检查", "bold black on yellow") if take.status == "none" else
               ("FAIL 不合格", "bold white on red"))
    head = Text.assemble((f"take {take.take_id} ", "bold"), verdict,
                         f"  for {take.subject_code or 'UNBOUND'}",
                         f"  decision: {take.decision or 'pending'}", f"  ({take.source})")
    lines: list[Any] = [head]
    for r in take.reasons:
        lines.append(Text(f"  ✗ {r.zh}  {r.en}", style="red"))
    for w in take.warnings:
        lines.append(Text(f"  ! {w.zh}  {w.en}" + ("  [needs override 需放行理由]" if w.override else ""),
                          style="yellow"))
    if take.decision is None and take.subject_code is not None:
        if not take.croppable:
            lines.append(Text("  cannot be cropped to the format: never acceptable — r = shoot again "
                              "无法裁剪到规定格式，不能通过", style="bold red"))
        elif take.needs_override:
            lines.append(Text("  accepting needs an override reason: o 需填写放行理由", style="bold yellow"))
    shown = [f"{k} {take.measures[k]:.3g}" if isinstance(take.measures.get(k), (int, float))
             else f"{k} {take.measures[k]}" for k in MEASURES if k in take.measures]
    if shown:
        lines.append(Text("  " + "  ".join(shown), style="dim"))
    t = take.timings
    if t:
        lines.append(Text(f"  press→verdict {t.get('total', 0):.2f} s (camera {t.get('capture', 0):.2f},"
                          f" pipeline {t.get('pipeline', 0):.2f})", style="dim"))
    if take.preview_path:
        lines.append(Text(f"  preview: {take.preview_path}", style="dim"))
    return Panel(Group(*lines), title="last take 最近一张", border_style="green" if ok else "red")


_FONT = {
    "0": ("███", "█ █", "█ █", "█ █", "███"), "1": (" █ ", "██ ", " █ ", " █ ", "███"),
    "2": ("███", "  █", "███", "█  ", "███"), "3": ("███", "  █", "███", "  █", "███"),
    "4": ("█ █", "█ █", "███", "  █", "  █"), "5": ("███", "█  ", "███", "  █", "███"),
    "6": ("███", "█  ", "███", "█ █", "███"), "7": ("███", "  █", "  █", "  █", "  █"),
    "8": ("███", "█ █", "███", "█ █", "███"), "9": ("███", "█ █", "███", "  █", "███"),
    "-": ("   ", "   ", "███", "   ", "   "),
}


def big_digits(text: str) -> list[str]:
    """The shooting number five lines tall: readable from the camera position."""
    rows = ["", "", "", "", ""]
    for char in text:
        glyph = _FONT.get(char, _FONT["-"])
        for i in range(5):
            rows[i] += glyph[i].replace("█", "██").replace(" ", "  ") + "  "
    return rows
