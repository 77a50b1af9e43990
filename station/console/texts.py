"""Every text the console's pages show, in ONE place: Chinese first, English beside it (config.i18n.bilingual).

The templates and the page script read these by key (templates as `T.key`, the script as `TEXTS.key`), so the
catalog (config/locale/zh/LC_MESSAGES/station.po, `make i18n`) is the only place the Chinese lives.
"""
from __future__ import annotations

from config.i18n import bilingual, in_language


def texts() -> dict[str, str]:
    """Key -> "中文 English" for the pages and their script."""

    return {
        "title": bilingual("Capture Station"),
        "shoot": bilingual("Shoot"), "desk": bilingual("Desk"), "review": bilingual("Review"), "day": bilingual("Day"),
        "station": bilingual("Station"), "room": bilingual("Room"), "college_now": bilingual("College now"), "camera": bilingual("Camera"),
        "battery": bilingual("Battery"), "disk_left": bilingual("Disk left"), "camera_ok": bilingual("camera ready"),
        "camera_trouble": bilingual("camera trouble"), "connection_lost": bilingual("connection lost: reconnecting"),
        "bound": bilingual("Bound student"), "nobody_bound": bilingual("Nobody bound: scan or type a code"),
        "name": bilingual("Name"), "student_no": bilingual("Student number"), "id_number": bilingual("ID number"),
        "college": bilingual("College"), "class": bilingual("Class"), "shoot_no": bilingual("Shooting number"), "paid": bilingual("Paid"),
        "not_paid": bilingual("NOT PAID"), "paid_yes": bilingual("paid"), "paid_unknown": bilingual("payment unknown"),
        "takes": bilingual("Takes so far"), "last_take": bilingual("Last take"), "no_take": bilingual("No take yet"),
        "finished": bilingual("Finished photo"), "no_photo": bilingual("No finished photo: the take did not pass"), "full_frame": bilingual("Full frame"), "take": bilingual("Take"),
        "pass": bilingual("PASS"), "fail": bilingual("FAIL"), "warnings": bilingual("Warnings"), "reasons": bilingual("Reasons"),
        "needs_override": bilingual("needs an override to accept"), "not_croppable": bilingual("cannot be cropped: shoot again"),
        "accept": bilingual("Accept"), "accept_override": bilingual("Accept with override"), "reject": bilingual("Reject"),
        "void": bilingual("Void"), "rebind": bilingual("Rebind"), "skip": bilingual("Skip"), "next": bilingual("Next"), "shoot_now": bilingual("Shoot"),
        "override_reason": bilingual("Override reason"), "reject_reason": bilingual("Reject reason"),
        "void_reason": bilingual("Void reason"), "skip_reason": bilingual("Skip reason"), "search_roster": bilingual("Search the roster"),
        "search_hint": bilingual("name or student number"), "cancel": bilingual("Cancel"), "confirm": bilingual("Confirm"),
        "queue": bilingual("Queue"), "queue_empty": bilingual("Nobody waiting"), "unbound_takes": bilingual("Unbound takes"),
        "messages": bilingual("Messages"), "keys": bilingual("Keys"),
        "live": bilingual("Live view"), "ready": bilingual("READY"), "not_ready": bilingual("not ready"),
        "live_unavailable": bilingual("No live view"),
        "checkin": bilingual("Check in"), "scan_or_type": bilingual("Scan or type the code"), "checked_in": bilingual("Checked in"),
        "place_in_queue": bilingual("Place in queue"), "unknown_code": bilingual("Unknown code"),
        "rejected": bilingual("Rejected"), "unshot": bilingual("Not shot yet"), "undecided": bilingual("Shot, undecided"),
        "skipped": bilingual("Skipped"), "reshoot": bilingual("Re-shoot"), "nobody_to_reshoot": bilingual("Nobody to re-shoot"),
        "progress": bilingual("Progress"), "roster": bilingual("Roster"), "accepted": bilingual("Accepted"), "shot": bilingual("Shot"),
        "per_hour": bilingual("Students per hour"), "time_left": bilingual("Time left in the window"),
        "window": bilingual("Window"), "no_schedule": bilingual("No schedule imported"),
        "export": bilingual("Export"), "export_to": bilingual("Export folder"), "export_done": bilingual("Export finished"),
        "export_refused": bilingual("Export refused"), "exporting": bilingual("Exporting"),
        "pair_title": bilingual("Pair this device"), "pair_hint": bilingual("Type the PIN shown on the station's screen"),
        "pin": bilingual("PIN"), "pair": bilingual("Pair"), "wrong_pin": bilingual("Wrong PIN"),
        "pairing_locked": bilingual("Pairing is locked after too many wrong PINs: the operator reopens it at the station"),
        "pin_blocked": bilingual("Too many wrong PINs from this device: ask the operator"),
        "station_only": bilingual("Only the station's own browser can do this"),
        "paired_devices": bilingual("Paired devices"), "revoke": bilingual("Revoke"),
        "reopen_pairing": bilingual("Reopen pairing"), "new_pin": bilingual("New PIN"),
        "pair_other": bilingual("Pair another device: open this address and type the PIN"),
        "this_device": bilingual("this device"), "station_browser": bilingual("station"),
        "iso": "ISO", "shutter": bilingual("Shutter"), "aperture": bilingual("Aperture"),
        "whitebalance": bilingual("White balance"), "exposurecompensation": bilingual("Exposure compensation"),
        "histogram": bilingual("Histogram"),
        "why_no_face": in_language("zh", "no face in the picture"), "why_many_faces": in_language("zh", "more than one face"),
        "why_outside": in_language("zh", "face outside the bands"), "why_tilted": in_language("zh", "head tilted"), "misses": bilingual("Where the face fell"),
        # one Chinese line, nothing else, where live view would be
        "live_none": in_language("zh", "No live view: this camera gives no picture before the shot"),
        "done": bilingual("Done"), "error": bilingual("Error"),
        # walk-ins (现场补录), the ID-card reader, the hub, an unpaid student refused (station.toml blocks them)
        "walkin_title": bilingual("Walk-in: a student missing from the roster"),
        "walkin_code": bilingual("ID number or student number"), "walkin_submit": bilingual("Check in the walk-in"),
        "walkin_badge": in_language("zh", "walk-in (not on the roster)"),
        "id_reader": bilingual("ID-card reader"), "reader_connected": bilingual("reader connected"),
        "reader_card": bilingual("card read"), "reader_refused": bilingual("card refused"),
        "reader_lost": bilingual("reader lost"), "reader_starting": bilingual("reader starting"),
        "unpaid_let_through": bilingual("Bind anyway (override)"),
        "unpaid_reason": bilingual("Reason to bind an unpaid student"),
    }
