"""Why a photo was refused, as a code the bot turns into advice in the patient's language."""

from __future__ import annotations

import enum


class Reason(str, enum.Enum):
    NOT_IMAGE = "not_image"  # not a picture at all
    CORRUPT = "corrupt"  # a picture file that cannot be decoded
    TOO_LARGE = "too_large"  # file or pixel count over the cap (decompression bomb)
    TOO_SMALL = "too_small_image"  # too few pixels to analyse
    NO_PERSON = "no_person"
    SEVERAL_PEOPLE = "several_people"
    CROPPED = "cropped"  # detail names the body part cut off
    PERSON_TOO_SMALL = "person_too_small"
    TOO_DARK = "too_dark"
    BLURRED = "blurred"
    TILTED = "tilted"  # camera roll over the limit
    TOO_CLOSE = "too_close"  # strong perspective / lens distortion
    WRONG_MOVEMENT = "wrong_movement"  # detail names the movement seen
    TIMEOUT = "timeout"
    WORKER_FAILED = "worker_failed"


class PhotoRejected(Exception):
    """A photo that cannot be used, with the reason and a detail (e.g. which part is cut off)."""

    def __init__(self, reason: Reason, detail: str = ""):
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)

    def __reduce__(self):  # picklable across worker processes
        return (PhotoRejected, (self.reason, self.detail))
