"""The `station` help in the chosen language, whatever was imported first.

Click evaluates help texts when a command module is imported, which is before `--lang` is parsed (and, in a
test process, before any one run's language is known). So help texts are written in English and marked with
`N_()` (extracted into the catalog like every message), and `localise(cli, language)` translates the whole command
tree just before click parses and prints: each command's help/short help and each option's help. The English
originals are kept on the objects, so the tree can be translated again into another language in the same
process. A help that needs a value (a list of presets, an environment variable) is a `HelpText` carrying its
fields.

Click's own words (Usage:, Options:, [default: ...], "Missing option") go through click's gettext hook; their
Chinese is in the same catalog (the N_ list below).
"""
from __future__ import annotations

import sys
from typing import Any

import click

from config import i18n

_ORIGINAL = "_station_english"


#: formatted English help -> (msgid, fields), for helps made with HelpText (click keeps only a plain str)
_WITH_FIELDS: dict[str, tuple[str, dict[str, Any]]] = {}


def HelpText(msgid: str, /, **fields: Any) -> str:  # noqa: N802 - reads as the value it makes
    """An English help text with named fields: `HelpText(N_("Format preset ({presets})."), presets=...)`."""
    text = msgid.format(**fields) if fields else msgid
    _WITH_FIELDS[text] = (msgid, fields)
    return text


def _translated(english: str | None) -> str | None:
    if not english:
        return english
    msgid, fields = _WITH_FIELDS.get(english, (english, {}))
    return i18n._(msgid, **fields)


def _localise_object(obj: Any, attrs: tuple[str, ...]) -> None:
    originals = obj.__dict__.setdefault(_ORIGINAL, {a: getattr(obj, a, None) for a in attrs})
    for attr, english in originals.items():
        setattr(obj, attr, _translated(english))


def _walk(command: click.Command) -> None:
    _localise_object(command, ("help", "short_help", "epilog"))
    if command.__dict__[_ORIGINAL]["short_help"] is None and command.help and i18n.current_language() == "zh":
        command.short_help = _first_sentence(command.help)
    if hasattr(command, "_help_option"):
        command._help_option = None      # click caches its --help option, text and all: make it anew
    for param in command.params:
        if isinstance(param, click.Option):
            _localise_object(param, ("help",))
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _walk(sub)


def _first_sentence(text: str) -> str:
    """The command list's line for a Chinese help: click shortens at spaces and full stops, which Chinese has
    not (it would print "..."), so cut at the first 。 or ；."""
    paragraph = " ".join(text.strip().split("\n\n")[0].split())
    for stop in ("。", "；"):
        if stop in paragraph:
            paragraph = paragraph.split(stop, 1)[0] + ("。" if stop == "。" else "")
            break
    head = paragraph.split("：", 1)[0]
    if len(paragraph) > 36 and head != paragraph and head.count("（") == head.count("）"):
        paragraph = head                             # a list after a colon: the words before it say what
    return paragraph


def localise(root: click.Command, language: str) -> None:
    """Set the process language and translate `root`'s help texts (and click's words) into it."""
    i18n.set_language(language)
    _install_click_gettext()
    _walk(root)


def language_from_argv(argv: list[str] | None) -> str:
    """The language a run asks for: `--lang X` / `--lang=X` before the command name, else the environment."""
    args = list(sys.argv[1:] if argv is None else argv)
    explicit = None
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and index + 1 < len(args):
            explicit = args[index + 1]
        elif arg.startswith("--lang="):
            explicit = arg.split("=", 1)[1]
    return i18n.resolve_language(explicit)


_installed = False


def _install_click_gettext() -> None:
    """Click looks its words up with `gettext`/`ngettext` bound in each of its modules: point them at ours.
    They are formatted by click afterwards, so the lookup returns the raw text."""
    global _installed
    if _installed:
        return
    import importlib
    for name in ("click.core", "click.exceptions", "click.formatting", "click.types", "click.decorators",
                 "click.termui", "click.parser"):
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = i18n.raw_gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = i18n.raw_ngettext  # type: ignore[attr-defined]
    _installed = True


#: click's own words a station user meets, so the catalog holds their Chinese (click formats them itself)
CLICK_WORDS = (
    i18n.N_("Usage:"), i18n.N_("Options"), i18n.N_("Commands"), i18n.N_("Positional arguments"),
    i18n.N_("Show this message and exit."), i18n.N_("Show the version and exit."),
    i18n.N_("%(prog)s, version %(version)s"), i18n.N_("default: {default}"), i18n.N_("env var: {var}"),
    i18n.N_("required"), i18n.N_("deprecated"), i18n.N_("Aborted!"), i18n.N_("Missing command."),
    i18n.N_("Error: {message}"), i18n.N_("Invalid value for {param_hint}: {message}"),
    i18n.N_("Invalid value: {message}"), i18n.N_("Missing argument"), i18n.N_("Missing option"),
    i18n.N_("Missing parameter"), i18n.N_("Missing parameter: {param_name}"), i18n.N_("Missing {param_type}"),
    i18n.N_("No such command {name!r}."), i18n.N_("No such option {name!r}."),
    i18n.N_("Try '{command} {option}' for help."), i18n.N_("Could not open file {filename!r}: {message}"),
    i18n.N_("{name} {filename!r} does not exist."), i18n.N_("{name} {filename!r} is a directory."),
    i18n.N_("{name} {filename!r} is a file."), i18n.N_("{value!r} is not a valid {number_type}."),
    i18n.N_("{value} is not in the range {range}."), i18n.N_("file"), i18n.N_("directory"), i18n.N_("path"),
    i18n.N_("Do you want to continue?"), i18n.N_("Option {name!r} does not take a value."),
    i18n.ngettext("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", 1,
                  name="", nargs=1), i18n.N_("Error: invalid input"),
    i18n.ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 1, args=""),
    i18n.ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 1, value="", choice="",
                  choices=""),
    i18n.ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 1, possibility="",
                  possibilities=""),
)
