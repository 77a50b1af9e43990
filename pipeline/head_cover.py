"""What covers the forehead and the top of the head: a hat's brim or band, a scarf, a fringe.

Measured in a box placed from the mesh and sized in inter-ocular distances, against the person's own skin
colour (the cheeks under the eyes), so the numbers mean the same on a selfie, a tight crop and a station frame.
The face mesh places the forehead's top (point 10) where a bare forehead would end, even under a hat: the
forehead between the brows and that point is skin on a bare head, and cloth or hair when something covers it.
"""
from __future__ import annotations

import numpy as np

from pipeline.appearance import SKIN_DE, FaceFrame, _box, _skin_distance


# what covers the forehead is hair when it is of the brows' colour, else a hat or a scarf: far from the brows'
# colour, or both strongly coloured and not of the brows' own colour. Team's real caps: 9-51 Lab units from the
# brows, chroma 22-41 where nearer than 30; fringes 4-6 from the brows (an auburn fringe has chroma 27), or grey.
# Colour cannot tell a black cap from black hair: such a cap is named as hair over the forehead (a warning).
HAT_FROM_HAIR = 30.0
HAT_CHROMA = 18.0
HAIR_NEAR = 8.0
# ... but where the face parser sees no hat at all, a cover the colours called a hat is hair after all: on the
# real sets every headwear photo reads hat_share >= 0.049, every other photo <= 0.002, and the colour split
# called 4 fringes and foreheads of other photos a hat (an auburn fringe 30 Lab units from the brows' colour)
HAT_SEEN_SHARE = 0.01


def forehead_cover(lab: np.ndarray, skin: np.ndarray, f: FaceFrame) -> tuple[float, np.ndarray] | None:
    """Share of the forehead (between the eye centres, from a tenth of the way below the mesh's forehead top
    down to 0.12 IOD above the brows) that is not the face's skin: a cap's band, a beanie pulled low, a scarf or
    a fringe cover it; a bare forehead, even in shadow, is mostly skin."""
    y0 = f.top_y + 0.1 * (f.brow_y - f.top_y)
    y1 = f.brow_y - 0.12 * f.iod
    if y1 - y0 < 0.1 * f.iod:
        return None
    box = _box(lab, f.eye_left[0], y0, f.eye_right[0], y1).reshape(-1, 3)
    if len(box) < 30:
        return None
    cover = _skin_distance(box, skin) >= SKIN_DE
    colour = np.median(box[cover], axis=0) if cover.sum() >= 10 else skin
    return float(cover.mean()), colour


def measures(lab: np.ndarray, skin: np.ndarray, brow_lab: np.ndarray, f: FaceFrame) -> dict[str, float]:
    """forehead_cover (any cover), split by the cover's colour into forehead_hat and forehead_hair."""
    out: dict[str, float] = {}
    cover = forehead_cover(lab, skin, f)
    if cover is not None:
        share, colour = cover
        from_hair = float(np.linalg.norm(colour - brow_lab))
        chroma = float(np.hypot(colour[1], colour[2]))
        hat = from_hair > HAT_FROM_HAIR or (chroma > HAT_CHROMA and from_hair > HAIR_NEAR)
        out.update({"forehead_cover": share, "cover_from_hair": from_hair, "cover_chroma": chroma,
                    "forehead_hat": share if hat else 0.0, "forehead_hair": 0.0 if hat else share})
    return out


def with_parser(measures: dict[str, float]) -> None:
    """Move the colour split's forehead_hat to forehead_hair where the face parser (its hat_share, when it ran)
    sees no hat: a fringe is named as hair over the forehead, not as a hat (see HAT_SEEN_SHARE)."""
    hat = measures.get("forehead_hat", 0.0)
    if hat > 0.0 and measures.get("hat_share", 1.0) < HAT_SEEN_SHARE:
        measures["forehead_hat"], measures["forehead_hair"] = 0.0, hat
