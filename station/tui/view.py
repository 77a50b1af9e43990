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
KEY_HELP = [("a", "通过"), ("o", "放行通过"), ("r", "重拍"), ("x", "作废"), ("u", "改绑"), ("s", "跳过")]
KEY_HELP_2 = [("n", "下一位"), ("p", "未缴费放行"), ("c", "学院"), ("q", "退出")]
LEVEL_STYLES = {"hint": "dim", "info": "cyan", "ok": "bold green", "warn": "bold yellow", "error": "bold red"}
#: the measures the take shows, as words with units (key, Chinese word, unit, format)
MEASURE_WORDS = (("crown_y", "头顶", "px", ".0f"), ("eye_y", "眼睛", "px", ".0f"), ("face_width", "脸宽", "px", ".0f"),
                 ("roll_deg", "倾斜", "°", ".1f"), ("yaw_ratio", "侧转", "", ".2f"), ("eye_open", "睁眼", "", ".2f"),
                 ("sharpness", "清晰度", "", ".0f"), ("file_kb", "文件", " KB", ".0f"))
MEASURES = tuple(key for key, *_ in MEASURE_WORDS)
DECISIONS = {None: "待决定 pending", "accept": "已通过 accepted", "reject": "已重拍 rejected", "void": "已作废 void"}
READER_LABELS = {"connected": ("已连接 connected", "green"), "card": ("已读卡 card read", "bold green"),
                 "starting": ("启动中 starting", "yellow"), "refused": ("读卡失败 card refused", "bold yellow"),
                 "lost": ("未连接 ERROR", "bold white on red")}
MAX_REASON_LINES = 3


@dataclass(frozen=True)
class TerminalState:
    """What only the terminal knows: its key bindings, the open prompt and the line being typed, its height."""
    shoot_keys: tuple[str, ...]
    trigger: str
    line: str = ""
    prompt: str | None = None          # the open prompt's label
    note: Message | None = None        # the terminal's own transient remark (cancelled, help...)
    height: int = 24                   # rows the screen has: messages fill what the rest leaves
    width: int = 80


def style(message: Message) -> str:
    return LEVEL_STYLES.get(message.level, "")


def _shoot_key_label(name: str) -> str:
    return {"space": "空格", "enter": "回车"}.get(name, name)


def _reader_label(reader: Any) -> tuple[str, str]:
    text, colour = READER_LABELS.get(reader.state, (reader.state, ""))
    return (f"{text}" + (f" ({reader.detail})" if reader.detail else ""), colour)


def _line(*parts: Any, style: str = "") -> Any:
    """One screen line that never wraps (an 80-column terminal keeps its layout): cut with an ellipsis."""
    from rich.text import Text
    text = Text.assemble(*parts, style=style)
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def render(snap: Snapshot, term: TerminalState) -> Any:
    """The whole screen, Chinese first, fitted to the terminal (80x24 at least): header and status, the bound
    student with the 拍摄号 in big digits, the last take's verdict as a wide coloured band, its reasons and
    measures in words with units, queue and unbound takes, as many recent messages as fit, the keys."""
    from rich.console import Group
    from rich.text import Text
    top: list[Any] = [_header(snap), _status(snap)]
    top += _student(snap)
    if snap.last_take is not None:
        top += _take(snap.last_take)
    if snap.queue or snap.queue_mode:
        names = "，".join(f"{q.shoot_no}:{q.name or q.code}" for q in snap.queue[:8])
        top.append(_line(f"排队 queue ({len(snap.queue)})：{names}{' …' if len(snap.queue) > 8 else ''}",
                         style="cyan"))
    if snap.unbound:
        top.append(_line(f"未绑定照片 UNBOUND takes：{'，'.join(str(t.take_id) for t in snap.unbound[-6:])}"
                         " — u 改绑 rebind / x 作废 void", style="bold red"))
    bottom = _keys(term)
    notes = [m for m in snap.messages] + ([term.note] if term.note is not None else [])
    used = sum(_rows(part) for part in top) + sum(_rows(part, term.width) for part in bottom)
    room = max(2, term.height - used)
    said: list[Any] = []
    for message in reversed(notes):              # the newest first, wrapped, while they fit
        text = Text(message.text, style=style(message))
        rows = _rows(text, term.width)
        if said and rows > room:
            break
        said.insert(0, text)
        room -= rows
        if room <= 0:
            break
    return Group(*top, *said, *bottom)


def _rows(part: Any, width: int = 0) -> int:
    """How many terminal rows a part of the screen takes (lines never wrap, except a long prompt)."""
    from rich.padding import Padding
    from rich.table import Table
    if isinstance(part, Padding):
        return 3                                  # the verdict band
    if isinstance(part, Table):
        return len(_FONT["0"])                    # the big 拍摄号 beside who it is
    if width and not getattr(part, "no_wrap", False):
        return max(1, -(-part.cell_len // width))
    return 1


def _header(snap: Snapshot) -> Any:
    return _line((" 采集站 CAPTURE STATION ", "bold white on blue"),
                 f" 工位 {snap.station_id}", f"  {snap.room or '-'}", "  学院 ",
                 (snap.college or "未设置（按 c）", "bold" if snap.college else "yellow"),
                 f"  操作员 {snap.operator or '-'}", ("  排队模式 QUEUE" if snap.queue_mode else "", "cyan"))


def _status(snap: Snapshot) -> Any:
    camera = snap.camera
    parts: list[Any] = ["相机 "]
    if camera.error:
        parts.append((f"故障 {camera.error}", "bold white on red"))
    else:
        parts.append((f"{camera.spec} 正常", "green"))
        if camera.battery:
            parts.append(f"  电量 {camera.battery}")
    if snap.reader is not None:
        parts += ["   读卡器 ", _reader_label(snap.reader)]
    if snap.hub is not None:
        parts += ["   ", (snap.hub.text, "green" if snap.hub.level == "ok" else "bold yellow")]
    if camera.warnings:
        parts.append((f"   ! {camera.warnings[-1]}", "yellow"))
    return _line(*parts)


def _student(snap: Snapshot) -> list[Any]:
    """The bound student: a title band (No. and name), the 拍摄号 in big digits beside who it is."""
    from rich.table import Table
    from rich.text import Text
    bound = snap.bound
    if bound is None:
        return [_line(" 无人绑定 NOBODY BOUND — 请扫码 scan a student card ", style="bold black on yellow")]
    number = f"{bound.shoot_no or '-'}"
    title = _line((" 当前学生 BOUND ", "bold white on green"), ("  No. ", "bold"), (number, "bold green"),
                  "  ", (bound.name or "-", "bold"), "  ", (bound.code, "bold cyan"),
                  ("  现场补录 WALK-IN " if bound.walk_in else "", "bold black on yellow"))
    info = [f"学号 {bound.student_no or '-'}", f"身份证 {bound.id_number or '-'}",
            f"{bound.college or '-'}  {bound.class_name or ''}".rstrip(),
            f"已拍 {bound.takes} 张" + (f"（重拍 {bound.rejected}）" if bound.rejected else ""),
            "缴费 " + ("已缴" if bound.paid else "未知" if bound.paid is None else "未缴")]
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True, overflow="ellipsis")
    grid.add_row(Text("\n".join(big_digits(number)), style="bold green"), Text("\n".join(info)))
    lines: list[Any] = [title, grid]
    if bound.paid is False:
        lines.append(_line(" 未缴费 NOT PAID — 拍摄前请核实 check before shooting ", style="bold white on red"))
    return lines


def _take(take: TakeState) -> list[Any]:
    """The last take: the verdict as a three-line coloured band (seen from the camera), then why."""
    from rich.padding import Padding
    ok = take.status == "pass"
    word, colour = (("合格 PASS", "bold white on green") if ok else
                    ("尚未检查 NOT YET CHECKED", "bold black on yellow") if take.status == "none" else
                    ("不合格 FAIL", "bold white on red"))
    band = _line(f"第 {take.take_id} 张 take {take.take_id}   ", (word, "bold"),
                 f"   {take.subject_code or '未绑定 UNBOUND'}   {DECISIONS.get(take.decision, take.decision)}")
    lines: list[Any] = [Padding(band, (1, 2), style=colour, expand=True)]
    why = [_line(f"  ✗ {r.zh}  {r.en}", style="red") for r in take.reasons]
    why += [_line(f"  ! {w.zh}  {w.en}" + ("  [需放行理由 override]" if w.override else ""), style="yellow")
            for w in take.warnings]
    if take.decision is None and take.subject_code is not None:
        if not take.croppable:
            why.insert(0, _line("  无法裁剪到规定格式，不能通过 cannot be cropped: never acceptable — r 重拍",
                                style="bold red"))
        elif take.status == "none":
            why.insert(0, _line("  尚未检查：出结果前不能通过 not checked yet: cannot be accepted", style="bold yellow"))
        elif take.needs_override:
            why.insert(0, _line("  通过需填写放行理由：按 o  accepting needs an override reason: o", style="bold yellow"))
    if len(why) > MAX_REASON_LINES:
        why = why[:MAX_REASON_LINES - 1] + [_line(f"  …（另有 {len(why) - MAX_REASON_LINES + 1} 条）", style="dim")]
    lines += why
    words = [f"{label} {format(take.measures[key], fmt)}{unit}" if isinstance(take.measures.get(key), (int, float))
             else f"{label} {take.measures[key]}{unit}" for key, label, unit, fmt in MEASURE_WORDS
             if key in take.measures]
    t = take.timings
    if t:
        words.append(f"用时 {t.get('total', 0):.2f} 秒")
    if words:
        lines.append(_line("  " + " · ".join(words), style="dim"))
    return lines


def _keys(term: TerminalState) -> list[Any]:
    """The keys (two lines) and the prompt or the line being typed."""
    from rich.text import Text
    shoot = " / ".join(_shoot_key_label(k) for k in term.shoot_keys)
    trigger = TriggerSpec.parse(term.trigger)
    if trigger.kind == "camera":
        shoot = "相机快门 camera button"
    elif trigger.pedal:
        shoot += " / 脚踏"
    first = _line(("拍摄 ", "bold"), (shoot, "bold green"), "   ",
                  *[x for k, label in KEY_HELP for x in ((k, "bold cyan"), (f" {label}  ", ""))])
    second = _line(*[x for k, label in KEY_HELP_2 for x in ((k, "bold cyan"), (f" {label}  ", ""))],
                   ("扫码绑定 · 数字+回车=编码 · /=字母编码", "dim"))
    out: list[Any] = [first, second]
    if term.prompt is not None:
        out.append(Text.assemble((term.prompt, "bold yellow"), term.line, ("█", "blink")))
    elif term.line:
        out.append(Text.assemble(("编码> ", "bold"), term.line, ("█", "blink")))
    return out


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
