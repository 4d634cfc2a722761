"""The patient conversation in a terminal (`backcare chat`): the same dialogs as the bot.

Buttons are numbered: type the number (or "#n" where a number is also a valid
answer). Photos are given as file paths. Pictures the dialogs send are written
to a private temporary folder and their paths printed. Commands start with a
slash (/back, /restart, /status, /language, /help, /stop); "/timer reminder"
or "/timer checkin" plays a scheduled job; /quit (or end of input) leaves.
With ``state_path`` the conversation is saved after every step and resumed
from there next time.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from backcare.bot.dialogs.events import Choice, Event, Reply
from backcare.vision.loading import IMAGE_SUFFIXES

MAX_PHOTO_BYTES = 40 * 1024 * 1024


def language_from_environment() -> str | None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return value.split(".")[0].replace("_", "-")
    return None


def load_state(path: Path | None, output: TextIO) -> dict | None:
    if path is None or not path.exists():
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        return state if isinstance(state, dict) else None
    except (OSError, ValueError) as exc:
        print(
            f"(could not read the saved conversation {path}: {exc}; starting a new one)",
            file=output,
        )
        return None


def save_state(path: Path, state: dict) -> None:
    """Atomically, readable by the owner only (it holds health data)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(state, handle, ensure_ascii=False)
    os.replace(tmp, path)


class Screen:
    """Prints replies and remembers the last buttons, so typed numbers can choose them."""

    def __init__(self, output: TextIO, picture_dir: Path | None):
        self.output = output
        self.picture_dir = picture_dir
        self.pictures = 0
        self.choices: tuple[Choice, ...] = ()
        self.expects: str | None = None

    def folder(self) -> Path:
        if self.picture_dir is None:
            self.picture_dir = Path(tempfile.mkdtemp(prefix="backcare-pictures-"))
        self.picture_dir.mkdir(parents=True, exist_ok=True)
        return self.picture_dir

    def show(self, replies: list[Reply]) -> None:
        out = self.output
        for reply in replies:
            if reply.text:
                print(f"\n{reply.text}", file=out)
            for image in reply.images:
                self.pictures += 1
                suffix = ".png" if image.data.startswith(b"\x89PNG") else ".jpg"
                path = self.folder() / f"picture-{self.pictures:03d}{suffix}"
                path.write_bytes(image.data)
                print(f"  [picture] {image.caption}: {path}", file=out)
            for name, data in reply.files:
                path = self.folder() / Path(name).name
                path.write_bytes(data)
                print(f"  [file] {path}", file=out)
            for label, url in reply.links:
                print(f"  [link] {label}: {url}", file=out)
            if reply.choices:
                self.choices = reply.choices
                self.expects = reply.expects
                for n, choice in enumerate(reply.choices, start=1):
                    print(f"  {n}) {choice.label}", file=out)
            elif reply.expects:
                self.choices, self.expects = (), reply.expects
        if replies:
            hint = {
                "photo": "(type the path of a photo file, or a number)",
                "number": "(type a number, or #n for a button)",
            }
            if self.expects in hint:
                print(hint[self.expects], file=out)
        out.flush()

    def event(self, line: str, language: str | None) -> Event | str | None:
        """The event a typed line stands for; a str is a message to print instead; None: nothing."""
        text = line.strip()
        if not text:
            return None
        name, _, rest = text[1:].partition(" ")
        if text.startswith("/") and "/" not in name and "." not in name:  # else an absolute path
            if name == "timer":
                return Event("timer", data=rest.strip() or "reminder")
            return Event("command", text=name.lower(), language=language)
        choice = self.choice(text)
        if choice is not None:
            return Event("choice", data=choice.value)
        if self.expects == "photo":
            path = Path(text.strip("'\"")).expanduser()
            if path.is_file():
                if path.stat().st_size > MAX_PHOTO_BYTES:
                    return f"(that file is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB)"
                return Event("photo", photo=path.read_bytes(), filename=path.name)
            if "/" in text or text.lower().endswith(tuple(IMAGE_SUFFIXES)):
                return f"(no such file: {path})"
        return Event("text", text=text)

    def choice(self, text: str) -> Choice | None:
        number = text[1:] if text.startswith("#") else (text if self.expects != "number" else "")
        if number.isdigit() and 1 <= int(number) <= len(self.choices):
            return self.choices[int(number) - 1]
        return None


async def _run(
    dialogs,
    input: TextIO,
    output: TextIO,
    state_path: Path | None,
    language: str | None,
    picture_dir: Path | None,
) -> dict | None:
    screen = Screen(output, picture_dir)
    state = load_state(state_path, output)
    first = Event("command", text="start") if state else Event("start", language=language)

    async def show_now(replies: list[Reply]) -> None:  # "Analysing..." before the analysis runs
        screen.show(replies)

    queue: list[Event] = [first]
    while True:
        while queue:
            state, replies = await dialogs.handle(state, queue.pop(0), early=show_now)
            if state_path is not None:
                save_state(state_path, state)
            screen.show(replies)
        output.write("\n> ")
        output.flush()
        line = input.readline()
        if not line or line.strip() in ("/quit", "/exit"):
            print("", file=output)
            if screen.picture_dir is not None:
                print(
                    f"(pictures are in {screen.picture_dir}; delete them when you are done)",
                    file=output,
                )
            return state
        event = screen.event(line, language)
        if isinstance(event, str):
            print(event, file=output)
        elif event is not None:
            queue.append(event)


def run_console(
    dialogs,
    input: TextIO = sys.stdin,
    output: TextIO = sys.stdout,
    state_path: str | Path | None = None,
    language: str | None = None,
    picture_dir: str | Path | None = None,
) -> dict | None:
    """Chat in the terminal until /quit or end of input; returns the last state."""
    return asyncio.run(
        _run(
            dialogs,
            input,
            output,
            Path(state_path) if state_path else None,
            language or language_from_environment(),
            Path(picture_dir) if picture_dir else None,
        )
    )
