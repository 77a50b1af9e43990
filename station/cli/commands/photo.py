"""`station crop` and `station check`: the pipeline on files, no workspace needed."""
from __future__ import annotations

from pathlib import Path

import click

from config.i18n import N_, _

from station.cli.support import (AppContext, echo_json, exit_failed, finish_partial, json_option,
                                 pad, partial_ok_option, pass_app)


def _preset(app: AppContext, name: str):
    from config.formats import load_preset
    workspace = app.workspace if (app.workspace / "station.toml").is_file() else None
    return load_preset(name, workspace)


def finding_text(entry: dict) -> str:
    """One refusal or warning of a verdict as a line: both languages, then its code, level, measure and bands
    (`[headwear warn: forehead_hat=0.70; warn >0.6, refuse >0.75]`), so a reader sees how far it is off."""
    text = f"{entry.get('zh', '')} / {entry.get('en', '')}  [{entry.get('code', '')} {entry.get('level', 'refuse')}"
    if entry.get("measure"):
        text += f": {entry['measure']}={entry.get('value')}"
        band = entry.get("band") or {}
        side = "<" if band.get("bad") == "below" else ">"
        bands = [f"{name} {side}{band[name]:g}" for name in ("warn", "refuse") if band.get(name) is not None]
        if bands:
            text += "; " + ", ".join(bands)
    return text + "]"


def _free_name(folder: Path, stem: str, ext: str) -> Path:
    """`stem.jpg`, else `stem-2.jpg`, `stem-3.jpg`...: an existing file is never overwritten."""
    candidate = folder / f"{stem}{ext}"
    n = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{n}{ext}"
        n += 1
    return candidate


@click.command("crop", help=N_("Make registration photos from INPUT frames (JPEG, PNG, camera RAW).\n"
             "\n"
             "Writes <input name>.jpg into --out for each input that can make one (an existing file is kept and the\n"
             "new one gets a -2, -3... suffix). Every input gets a result: OK, or the reasons it was refused.\n"
             "Exit status 0 when every input made a photo, 1 when any was refused or unreadable (0 with --partial-ok)."))
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help=N_("Folder for the finished photos (created if missing)."))
@click.option("--format", "preset_name", default="chsi-2017", show_default=True, help=N_("Format preset."))
@json_option(N_("Print a JSON list: one object per input, with its reasons and warnings."))
@partial_ok_option
@pass_app
def crop_cmd(app: AppContext, inputs: tuple[Path, ...], out_dir: Path, preset_name: str, as_json: bool,
             partial_ok: bool) -> None:
    import pipeline
    from pipeline import reasons as why
    from pipeline.errors import DecodeError
    from pipeline.result import Reason, Verdict
    from station.store.durable import make_private_dirs, write_new_file
    preset = _preset(app, preset_name)
    make_private_dirs(out_dir)
    results = []
    show_progress = len(inputs) > 1 and not as_json
    for index, path in enumerate(inputs, 1):
        entry: dict = {"input": str(path), "output": None, "ok": False, "reasons": [], "warnings": [],
                       "crop_box": None}
        reasons: tuple[Reason, ...] = ()
        warnings: tuple[Reason, ...] = ()
        try:
            result = pipeline.process(path.read_bytes(), preset, render=True, name=path.name)
        except (DecodeError, OSError) as exc:
            reasons = (why.unreadable(exc),)
            entry["reasons"] = [r.to_json() for r in reasons]
        else:
            reasons, warnings = result.reasons, result.warnings
            verdict = Verdict.of(result).to_json()
            entry.update(ok=result.ok, reasons=verdict.pop("reasons"), warnings=verdict.pop("warnings"),
                         crop_box=verdict.pop("crop_box"))
            measures = verdict.pop("measures")
            for key in ("crown_y", "eye_y", "face_width", "roll_deg"):
                entry[key] = measures.get(key)
            entry["measures"] = measures
            if result.ok and result.photo is not None:
                target = _free_name(out_dir, path.stem, preset.file.extension)
                write_new_file(target, result.photo)
                entry["output"] = str(target)
        results.append(entry)
        if not as_json:
            status = pad(_("OK") if entry["ok"] else _("FAIL"), 4)
            said = "; ".join(f"{r.zh} / {r.en}" for r in reasons)
            click.echo(f"{status} {path.name}" + (f" -> {entry['output']}" if entry["output"] else f": {said}"))
            for reason in reasons:
                if reason.measure:
                    click.echo(f"  - {finding_text(reason.to_json())}")
            for warning in warnings:
                click.echo(f"  ! {finding_text(warning.to_json())}")
            if show_progress:
                click.echo(f"[{index}/{len(inputs)}]", err=True)
    if as_json:
        echo_json(results)
    finish_partial(sum(1 for r in results if not r["ok"]), partial_ok)


@click.command("check", help=N_("Validate finished photos against the format: size, colour, dpi, baseline, quality, file size, and\n"
             "the crown / eye / face-width bands re-measured on the picture. Exit 1 if any rule fails for any file\n"
             "(a file size outside the window is only a warning)."))
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "preset_name", default="chsi-2017", show_default=True, help=N_("Format preset."))
@json_option(N_("Print the rule results as JSON."))
@pass_app
def check_cmd(app: AppContext, files: tuple[Path, ...], preset_name: str, as_json: bool) -> None:
    import pipeline
    preset = _preset(app, preset_name)
    out = []
    for path in files:
        validation = pipeline.validate(path.read_bytes(), preset)
        out.append({"file": str(path), **validation.to_dict()})
        if not as_json:
            click.echo(f"{_('PASS') if validation.ok else _('FAIL')} {path}")
            for rule in validation.rules:
                if rule.status != "pass":
                    click.echo(f"  {_(rule.status)}: {rule.rule}: {rule.detail}")
    if as_json:
        echo_json(out)
    if not all(o["ok"] for o in out):
        exit_failed()


COMMANDS = [crop_cmd, check_cmd]
