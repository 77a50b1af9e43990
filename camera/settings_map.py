"""Our setting names and the libgphoto2 widget names that mean them on different camera makes."""
from __future__ import annotations

#: our name -> widget names to try, in order (Nikon, Canon, Sony and the virtual camera differ)
ALIASES: dict[str, tuple[str, ...]] = {
    "shutter": ("shutterspeed", "shutterspeed2", "exposuretime"),
    "aperture": ("f-number", "aperture", "fnumber"),
    "iso": ("iso", "isospeed", "ISO"),
    "exposurecompensation": ("exposurecompensation", "exposurecompensation2"),
    "capturetarget": ("capturetarget",),
    "imageformat": ("imageformat", "imagequality"),
    "whitebalance": ("whitebalance",),
    "autofocus": ("autofocus", "focusmode"),
    "battery": ("batterylevel",),
}


def widget_names(name: str) -> tuple[str, ...]:
    """Widget names to try for `name` (ours or already a widget name)."""
    return ALIASES.get(name, (name,))


def canonical(name: str) -> str:
    """Our name for `name` when it is one of the widget names we know ("f-number" -> "aperture")."""
    for ours, names in ALIASES.items():
        if name == ours or name in names:
            return ours
    return name
