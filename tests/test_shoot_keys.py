"""The key classifier: a scanner burst is never a command, a lone slow key is, typed codes build a line."""
from __future__ import annotations

from station.tui.keys import KeyClassifier, KeyEvent, classify

GAP = 0.060


def burst(text: str, start: float, step: float = 0.004) -> list[tuple[str, float]]:
    """A keyboard-mode scanner: every character a few ms after the previous one."""
    return [(c, start + i * step) for i, c in enumerate(text)]


def slow(text: str, start: float, step: float = 0.4) -> list[tuple[str, float]]:
    return [(c, start + i * step) for i, c in enumerate(text)]


def kinds(events: list[KeyEvent]) -> list[tuple[str, str]]:
    return [(e.kind, e.text) for e in events if not (e.kind == "key" and e.text == "edit")]


def test_scan_burst_with_b_and_spaces_is_one_scan_not_commands() -> None:
    events = classify(burst("AB 12b a r q\n", 1.0), GAP)
    assert kinds(events) == [("scan", "AB 12b a r q")]


def test_lone_slow_keys_are_commands_and_shoot_keys() -> None:
    events = classify(slow("b a", 1.0), GAP)
    assert kinds(events) == [("key", "b"), ("key", "space"), ("key", "a")]


def test_enter_on_empty_line_is_a_key() -> None:
    assert kinds(classify([("\n", 1.0)], GAP)) == [("key", "enter")]


def test_slowly_typed_digits_build_a_line_submitted_by_enter() -> None:
    events = classify(slow("2019001\n", 1.0, 0.25), GAP)
    assert kinds(events) == [("line", "2019001")]


def test_slash_opens_the_line_for_codes_with_letters() -> None:
    events = classify(slow("/ab3\n", 1.0, 0.25), GAP)
    assert kinds(events) == [("line", "ab3")]


def test_backspace_edits_the_typed_line() -> None:
    events = classify(slow("123\x7f4\n", 1.0, 0.25), GAP)
    assert kinds(events) == [("line", "124")]


def test_held_key_auto_repeat_is_not_a_volley() -> None:
    events = classify(burst("bbbbbb", 1.0, 0.03), GAP)
    assert kinds(events) == [("key", "repeat:b")]


def test_scan_right_after_a_key_and_a_key_right_after_a_scan() -> None:
    seq = slow("b", 1.0) + burst("2019000001\n", 1.5) + slow("a", 2.0)
    assert kinds(classify(seq, GAP)) == [("key", "b"), ("scan", "2019000001"), ("key", "a")]


def test_scan_wins_over_a_half_typed_line() -> None:
    seq = slow("12", 1.0, 0.3) + burst("2019000001\n", 2.0)
    assert kinds(classify(seq, GAP)) == [("scan", "2019000001")]


def test_a_key_waits_for_the_gap_before_it_is_decided() -> None:
    clf = KeyClassifier(gap=GAP)
    assert clf.feed("b", 1.0) == []
    assert clf.tick(1.0 + GAP / 2) == []
    assert clf.deadline() == 1.0 + GAP
    assert kinds(clf.tick(1.0 + GAP)) == [("key", "b")]


def test_line_mode_makes_every_slow_character_text() -> None:
    clf = KeyClassifier(gap=GAP, line_mode=True)
    events = []
    for c, t in slow("bad\n", 1.0, 0.3):
        events += clf.feed(c, t)
    assert kinds(events) == [("line", "bad")]


def test_escape_alone_cancels_and_arrow_sequences_are_ignored() -> None:
    events = classify(burst("\x1b[A", 1.0) + [("\x1b", 2.0)], GAP)
    assert kinds(events) == [("key", "escape")]


def test_short_fast_burst_with_enter_is_typed_not_scanned() -> None:
    # a pedal 'b' and an Enter pressed together must not bind anyone by surprise as a "scan"
    events = classify(burst("b\n", 1.0), GAP)
    assert kinds(events) == [("line", "b")]


def test_serial_scanner_delivers_exact_lines_from_a_tty() -> None:
    import os
    import queue as q
    from station.tui.keys import SerialScanner
    master, slave = os.openpty()
    got: "q.Queue[str]" = q.Queue()
    scanner = SerialScanner(os.ttyname(slave), lambda text, at: got.put(text)).start()
    try:
        os.write(master, "二维码 b 123\r\nXY".encode("utf-8"))
        os.write(master, b"Z9\n")
        assert [got.get(timeout=10), got.get(timeout=10)] == ["二维码 b 123", "XYZ9"]
    finally:
        scanner.stop()
        os.close(master)
        os.close(slave)


def test_a_scan_split_by_a_late_reader_is_joined_back() -> None:
    # the first digits were read, then the reader was held up 80 ms: they settled as typing
    seq = burst("20190", 1.0) + burst("00001\n", 1.0 + 0.016 + 0.080)
    assert kinds(classify(seq, GAP)) == [("scan", "2019000001")]


def test_typing_long_before_a_scan_is_not_glued_to_it() -> None:
    seq = slow("12", 1.0, 0.3) + burst("2019000001\n", 3.0)
    assert kinds(classify(seq, GAP)) == [("scan", "2019000001")]
