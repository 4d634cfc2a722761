"""Which file of a message is analysed, and what is refused before any download."""

from __future__ import annotations

from telegram import Message

from backcare.bot.photos import PhotoRef, Refusal, pick_photo

MB = 1024 * 1024


def message(**content) -> Message:
    data = {"message_id": 7, "date": 0, "chat": {"id": 1, "type": "private"}, **content}
    return Message.de_json(data, None)


def size(file_id, width, file_size):
    return {
        "file_id": file_id,
        "file_unique_id": file_id,
        "width": width,
        "height": width * 2 // 3,
        "file_size": file_size,
    }


def test_the_largest_rendition_of_a_photo_is_taken():
    m = message(photo=[size("s", 90, 2_000), size("m", 800, 90_000), size("l", 1280, 200_000)])
    assert pick_photo(m, 10 * MB) == PhotoRef("l", 200_000, "photo-7.jpg", None)


def test_a_rendition_over_the_cap_is_skipped_for_a_smaller_usable_one():
    m = message(photo=[size("s", 90, 2_000), size("m", 800, 90_000), size("l", 2560, 3 * MB)])
    assert pick_photo(m, 1 * MB).file_id == "m"


def test_a_photo_with_no_rendition_under_the_cap_is_refused_before_download():
    m = message(photo=[size("l", 2560, 12 * MB)])
    assert pick_photo(m, 10 * MB) == Refusal("too_large", {"size": "12", "limit": "10"})


def test_image_documents_are_taken_by_type_or_by_name():
    doc = {"file_id": "d", "file_unique_id": "d", "file_size": 5 * MB}
    by_type = message(document={**doc, "file_name": "IMG_1.HEIC", "mime_type": "image/heic"})
    assert pick_photo(by_type, 10 * MB) == PhotoRef("d", 5 * MB, "IMG_1.HEIC", None)
    by_name = message(
        document={**doc, "file_name": "bend.jpeg", "mime_type": "application/octet-stream"}
    )
    assert isinstance(pick_photo(by_name, 10 * MB), PhotoRef)


def test_other_documents_and_oversized_images_are_refused():
    pdf = message(
        document={
            "file_id": "d",
            "file_unique_id": "d",
            "file_name": "scan.pdf",
            "mime_type": "application/pdf",
            "file_size": 1000,
        }
    )
    assert pick_photo(pdf, 10 * MB) == Refusal("not_an_image")
    huge = message(
        document={
            "file_id": "d",
            "file_unique_id": "d",
            "file_name": "a.png",
            "mime_type": "image/png",
            "file_size": 25 * MB,
        }
    )
    assert pick_photo(huge, 10 * MB) == Refusal("too_large", {"size": "25", "limit": "10"})


def test_a_file_name_from_the_user_is_never_a_path():
    m = message(
        document={
            "file_id": "d",
            "file_unique_id": "d",
            "mime_type": "image/jpeg",
            "file_name": "../../etc/<b>passwd</b>.jpg",
            "file_size": 10,
        }
    )
    name = pick_photo(m, MB).filename
    assert name == "b_.jpg" and "/" not in name and "<" not in name


def test_album_photos_carry_their_group():
    m = message(photo=[size("l", 1280, 1000)], media_group_id="g1")
    assert pick_photo(m, MB).media_group_id == "g1"
