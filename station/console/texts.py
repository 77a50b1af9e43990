"""Every text the console's pages show, in ONE place: Chinese first, English beside it (config.i18n.bilingual).

The templates and the page script read these by key (templates as `T.key`, the script as `TEXTS.key`), so the
catalog (config/locale/zh/LC_MESSAGES/station.po, `make i18n`) is the only place the Chinese lives.
"""
from __future__ import annotations

from config.i18n import bilingual


def texts() -> dict[str, str]:
    """Key -> "中文 English" for the pages and their script."""
    b = bilingual
    return {
        "title": b("Capture Station"),
        "shoot": b("Shoot"), "desk": b("Desk"), "review": b("Review"), "day": b("Day"),
        "station": b("Station"), "room": b("Room"), "college_now": b("College now"), "camera": b("Camera"),
        "battery": b("Battery"), "disk_left": b("Disk left"), "camera_ok": b("camera ready"),
        "camera_trouble": b("camera trouble"), "connection_lost": b("connection lost: reconnecting"),
        "bound": b("Bound student"), "nobody_bound": b("Nobody bound: scan or type a code"),
        "name": b("Name"), "student_no": b("Student number"), "id_number": b("ID number"),
        "college": b("College"), "class": b("Class"), "shoot_no": b("Shooting number"), "paid": b("Paid"),
        "not_paid": b("NOT PAID"), "paid_yes": b("paid"), "paid_unknown": b("payment unknown"),
        "takes": b("Takes so far"), "last_take": b("Last take"), "no_take": b("No take yet"),
        "finished": b("Finished photo"), "full_frame": b("Full frame"), "take": b("Take"),
        "pass": b("PASS"), "fail": b("FAIL"), "warnings": b("Warnings"), "reasons": b("Reasons"),
        "needs_override": b("needs an override to accept"), "not_croppable": b("cannot be cropped: shoot again"),
        "accept": b("Accept"), "accept_override": b("Accept with override"), "reject": b("Reject"),
        "void": b("Void"), "rebind": b("Rebind"), "skip": b("Skip"), "next": b("Next"), "shoot_now": b("Shoot"),
        "override_reason": b("Override reason"), "reject_reason": b("Reject reason"),
        "void_reason": b("Void reason"), "skip_reason": b("Skip reason"), "search_roster": b("Search the roster"),
        "search_hint": b("name or student number"), "cancel": b("Cancel"), "confirm": b("Confirm"),
        "queue": b("Queue"), "queue_empty": b("Nobody waiting"), "unbound_takes": b("Unbound takes"),
        "messages": b("Messages"), "keys": b("Keys"),
        "live": b("Live view"), "ready": b("READY"), "not_ready": b("not ready"),
        "live_unavailable": b("No live view"),
        "checkin": b("Check in"), "scan_or_type": b("Scan or type the code"), "checked_in": b("Checked in"),
        "place_in_queue": b("Place in queue"), "unknown_code": b("Unknown code"),
        "rejected": b("Rejected"), "unshot": b("Not shot yet"), "undecided": b("Shot, undecided"),
        "skipped": b("Skipped"), "reshoot": b("Re-shoot"), "nobody_to_reshoot": b("Nobody to re-shoot"),
        "progress": b("Progress"), "roster": b("Roster"), "accepted": b("Accepted"), "shot": b("Shot"),
        "per_hour": b("Students per hour"), "time_left": b("Time left in the window"),
        "window": b("Window"), "no_schedule": b("No schedule imported"),
        "export": b("Export"), "export_to": b("Export folder"), "export_done": b("Export finished"),
        "export_refused": b("Export refused"), "exporting": b("Exporting"),
        "pair_title": b("Pair this device"), "pair_hint": b("Type the PIN shown on the station's screen"),
        "pin": b("PIN"), "pair": b("Pair"), "wrong_pin": b("Wrong PIN"),
        "done": b("Done"), "error": b("Error"),
    }
