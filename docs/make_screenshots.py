"""Screenshots of the demo report for docs/: the HTML report of `backcare demo` in each
language, opened in headless Chromium (Debian's `chromium`), top of the page, 750 px wide.

    .venv/bin/python docs/make_screenshots.py        # writes docs/report-en.png, docs/report-ja.png

Needs Chromium (apt-get install -y chromium), a font for each language's script (Japanese:
apt-get install -y fonts-ipafont-gothic; without one Chromium draws empty boxes) and the
demo's photos (samples/). One screenshot per language of backcare/kernel/languages.yaml.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

from backcare.kernel.languages import LANGUAGES, language

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
WIDTH, HEIGHT, OUT_WIDTH = 1000, 2300, 750


def main() -> int:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("chromium not found: apt-get install -y chromium", file=sys.stderr)
        return 1
    missing = [
        code
        for code in LANGUAGES
        if language(code).cjk_font
        and not subprocess.run(
            ["fc-list", f":lang={code}"], capture_output=True, text=True
        ).stdout.strip()
    ]
    if missing:
        print(
            f"no font for {', '.join(missing)}: apt-get install -y fonts-ipafont-gothic",
            file=sys.stderr,
        )
        return 1
    backcare = REPO / ".venv" / "bin" / "backcare"
    with tempfile.TemporaryDirectory() as tmp:
        for lang in LANGUAGES:
            out = Path(tmp) / lang
            subprocess.run(
                [str(backcare), "demo", "--lang", lang, "--out", str(out)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            shot = Path(tmp) / f"{lang}.png"
            subprocess.run(
                [
                    chromium,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    f"--user-data-dir={Path(tmp) / 'profile'}",
                    "--hide-scrollbars",
                    f"--window-size={WIDTH},{HEIGHT}",
                    f"--screenshot={shot}",
                    (out / "report.html").as_uri(),
                ],
                check=True,
                capture_output=True,
            )
            image = Image.open(shot).convert("RGB")
            image = image.resize((OUT_WIDTH, round(image.height * OUT_WIDTH / image.width)))
            small = image.quantize(colors=128, method=Image.Quantize.MEDIANCUT)
            small.save(DOCS / f"report-{lang}.png", optimize=True)
            print(f"wrote {DOCS / f'report-{lang}.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
