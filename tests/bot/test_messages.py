"""Dialog replies become Telegram payloads: escaped, within limits, buttons that cannot be forged."""

from __future__ import annotations

import itertools

from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.events import Choice, Image, Reply
from backcare.bot.messages import (
    ALBUM_LIMIT,
    CAPTION_LIMIT,
    TEXT_LIMIT,
    parse_callback,
    per_row,
    render,
    split_text,
    tg_len,
)


def tokens():
    counter = itertools.count()
    return lambda: f"t{next(counter)}"


def test_user_text_is_escaped_for_telegram_html():
    out = render([Reply("You said: <b>hi</b> & <script>")], blob_prefix="u", token=tokens())
    assert out.payloads == [
        {
            "kind": "text",
            "markup": None,
            "text": "You said: &lt;b&gt;hi&lt;/b&gt; &amp; &lt;script&gt;",
        }
    ]


def test_choices_become_buttons_whose_data_is_a_token_not_the_value():
    long_value = "answer:" + "x" * 200
    out = render(
        [Reply("Pick one", choices=(Choice("Yes", long_value), Choice("No", "no")))],
        blob_prefix="u",
        token=tokens(),
    )
    (payload,) = out.payloads
    buttons = [b for row in payload["markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in buttons] == ["Yes", "No"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    assert parse_callback(buttons[0]["callback_data"]) == ("t0", 0)
    assert out.keyboards == {
        "t0": {"values": [long_value, "no"], "labels": ["Yes", "No"], "multi": False}
    }


def test_forged_or_foreign_callback_data_is_not_parsed():
    for data in (None, "", "delete_all", "k", "kabc", "kabc.x", "k../.1", "kabc.99999", "kab-c.1"):
        assert parse_callback(data) is None


def test_short_labels_share_rows_long_labels_get_their_own():
    assert per_row([str(n) for n in range(11)]) == 6
    assert per_row(["Yes", "No"]) == 5
    assert per_row(["I sit for more than six hours a day"]) == 1
    out = render(
        [Reply("Pain?", choices=tuple(Choice(str(n), str(n)) for n in range(11)))],
        blob_prefix="u",
        token=tokens(),
    )
    assert [len(r) for r in out.payloads[0]["markup"]["inline_keyboard"]] == [6, 5]


def test_links_become_url_buttons_and_unsafe_schemes_are_dropped():
    out = render(
        [
            Reply(
                "Watch", links=(("Video", "https://example.org/v"), ("Bad", "javascript:alert(1)"))
            )
        ],
        blob_prefix="u",
        token=tokens(),
    )
    assert out.payloads[0]["markup"] == {
        "inline_keyboard": [[{"text": "Video", "url": "https://example.org/v"}]]
    }
    assert out.keyboards == {}


def test_long_text_is_split_at_paragraphs_within_the_limit():
    paragraphs = [f"Paragraph {i}: " + "word & word " * 40 for i in range(30)]
    text = "\n\n".join(paragraphs)
    pieces = split_text(text)
    assert len(pieces) > 1
    assert all(tg_len(p.replace("&", "&amp;")) <= TEXT_LIMIT for p in pieces)
    assert all(p.startswith("Paragraph") for p in pieces)
    assert "".join(pieces).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
        "\n", ""
    )


def test_emoji_count_twice_against_the_limit():
    pieces = split_text("😀" * 3000)
    assert len(pieces) == 2 and all(tg_len(p) <= TEXT_LIMIT for p in pieces)


def test_one_image_is_a_photo_several_are_albums_of_at_most_ten():
    one = render([Reply(images=(Image(b"a", "side & back"),))], blob_prefix="p", token=tokens())
    assert one.payloads == [{"kind": "photo", "blob": "p-0", "caption": "side &amp; back"}]
    assert one.blobs == {"p-0": b"a"}
    many = render(
        [Reply(images=tuple(Image(bytes([i]), f"{i}") for i in range(12)))],
        blob_prefix="p",
        token=tokens(),
    )
    kinds = [p["kind"] for p in many.payloads]
    assert kinds == ["album", "album"]
    assert [len(p["items"]) for p in many.payloads] == [ALBUM_LIMIT, 2]
    assert len(many.blobs) == 12


def test_pictures_and_files_never_enter_the_payloads():
    out = render(
        [
            Reply(
                "Here",
                images=(Image(b"BODYPHOTO"), Image(b"BODYPHOTO2")),
                files=(("export.json", b'{"secret": 1}'),),
            )
        ],
        blob_prefix="p",
        token=tokens(),
    )
    assert "BODYPHOTO" not in repr(out.payloads) and "secret" not in repr(out.payloads)
    assert {
        "kind": "document",
        "blob": "p-2",
        "filename": "export.json",
        "caption": "",
    } in out.payloads


def test_a_caption_too_long_follows_the_picture_as_text():
    caption = "c" * (CAPTION_LIMIT + 1)
    out = render([Reply(images=(Image(b"a", caption),))], blob_prefix="p", token=tokens())
    assert [p["kind"] for p in out.payloads] == ["photo", "text"]
    assert out.payloads[0]["caption"] == "" and out.payloads[1]["text"] == caption


def test_the_question_with_buttons_comes_after_the_pictures():
    reply = Reply(
        "Does this look right?", choices=(Choice("Yes", "y"),), images=(Image(b"a"), Image(b"b"))
    )
    kinds = [p["kind"] for p in render([reply], blob_prefix="p", token=tokens()).payloads]
    assert kinds == ["album", "text"]
    plain = Reply("Your results", images=(Image(b"a"),))
    kinds = [p["kind"] for p in render([plain], blob_prefix="p", token=tokens()).payloads]
    assert kinds == ["text", "photo"]


def test_buttons_without_text_still_make_a_valid_message():
    out = render([Reply(choices=(Choice("OK", "ok"),))], blob_prefix="p", token=tokens())
    assert out.payloads[0]["text"].strip() and out.payloads[0]["markup"]


def test_a_multi_select_resent_by_the_dialog_edits_the_pressed_message():
    reply = Reply(
        "Where?",
        choices=(Choice("✓ legs", "legs"), Choice("Done", "done")),
        multi=True,
        meta={"update": True},
    )
    out = render([reply], blob_prefix="p", token=tokens(), edit_message_id=42)
    assert out.payloads[0]["kind"] == "edit" and out.payloads[0]["message_id"] == 42
    assert out.keyboards["t0"]["multi"] is True
    # the next question, even a multi-select one, is a new message
    for reply in (Reply("Next question"), Reply("Next?", choices=(Choice("a", "a"),), multi=True)):
        out = render([reply], blob_prefix="p", token=tokens(), edit_message_id=42)
        assert out.payloads[0]["kind"] == "text"


def test_empty_replies_send_nothing():
    assert render([Reply("")], blob_prefix="p", token=tokens()).payloads == []


def test_a_reply_marked_update_also_edits_the_pressed_message():
    reply = Reply(
        "Which days?", choices=(Choice("✓ Mon", buttons.day(0).data),), meta={"update": True}
    )
    out = render([reply], blob_prefix="p", token=tokens(), edit_message_id=9)
    assert out.payloads[0]["kind"] == "edit" and out.payloads[0]["message_id"] == 9
