"""The demo report's HTML opened in a real headless Chromium (Debian's ``chromium``).

The page is rendered from the demo (sample photos and answers, through the pipeline),
a screenshot is taken, and a small script measures the layout in the browser: every
picture loaded and sitting beside its findings, the clinician's tables with rows,
links clickable, nothing wider than the window, no internal ids in what a patient
reads. Layout, not pixels.

Without Chromium the test skips and says how to install it; under CI=true it fails
instead (the CI script installs it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from backcare.application import render
from backcare.report.types import Report

# a demo through the pipeline, then Chromium twice: the slow suite
pytestmark = pytest.mark.slow

INSTALL = "install Debian's chromium: apt-get update && apt-get install -y chromium"
WIDTH, HEIGHT = 1000, 1400

# Runs in the page after load; leaves its measurements as JSON in <pre id="layout">.
PROBE = """
<script>
window.addEventListener("load", () => {
  const box = (el) => el.getBoundingClientRect();
  const out = {findings: [], tables: {}, links: 0, overflow: 0, patientText: ""};
  for (const block of document.querySelectorAll(".finding")) {
    const list = block.querySelector(".findings");
    const items = list ? list.querySelectorAll("li").length : 0;
    [...block.querySelectorAll("img")].forEach((img, i) => {
      const a = box(img), b = list ? box(list) : null;
      out.findings.push({
        step: block.dataset.step, first: i === 0, loaded: img.complete && img.naturalWidth > 0,
        imgLeft: a.left, imgRight: a.right, imgTop: a.top, imgWidth: a.width,
        listLeft: b ? b.left : null, listTop: b ? b.top : null, items: items});
    });
  }
  for (const t of document.querySelectorAll("table")) {
    out.tables[t.className] = {
      rows: t.querySelectorAll("tbody tr").length,
      head: t.querySelectorAll("thead th").length,
      cells: t.querySelector("tbody tr") ? t.querySelector("tbody tr").children.length : 0};
  }
  out.links = [...document.querySelectorAll("a[href^='http']")].length;
  out.overflow = document.documentElement.scrollWidth - window.innerWidth;
  out.patientText = ["causes", "findings", "program", "photos"]
    .map((id) => (document.getElementById(id) || {innerText: ""}).innerText).join("\\n");
  const pre = document.createElement("pre");
  pre.id = "layout";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def chromium() -> str:
    """The Chromium binary, or skip (fail under CI) with how to install it."""
    for name in (os.environ.get("BACKCARE_CHROMIUM"), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return str(shutil.which(name))
    if os.environ.get("CI") == "true":
        pytest.fail(f"Chromium is required under CI and was not found: {INSTALL}")
    pytest.skip(f"Chromium not found: {INSTALL}")


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--hide-scrollbars",
            f"--window-size={WIDTH},{HEIGHT}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def browser() -> str:
    """Found first, so a machine without Chromium skips before vision runs."""
    return chromium()


@pytest.fixture(scope="module")
def demo_reports(browser, repo_root) -> dict[str, Report]:
    """The demo's report in every language (one pass of vision over the sample photos)."""
    from backcare.application.pipeline import Pipeline
    from backcare.interview import derive, load_answers, load_interview
    from backcare.kernel.paths import INTERVIEW

    interview = load_interview(INTERVIEW)
    result = derive(interview, load_answers(repo_root / "samples" / "answers.yaml", interview))
    folder = repo_root / "samples" / "photos"
    with Pipeline.create(workers=1) as pipeline:
        photos = [
            pipeline.analyse_photo_sync(p.read_bytes(), p.stem, p.name)
            for p in sorted(folder.glob("*.jpg"))
        ]
        return {lang: pipeline.report_sync(result, photos, lang) for lang in ("en", "ja")}


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_demo_report_opens_in_chromium_with_pictures_beside_their_findings(
    browser, demo_reports, language, tmp_path
):
    binary = browser
    report = demo_reports[language]
    page = render.to_html(report)
    html_file = tmp_path / "report.html"
    html_file.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    url = html_file.as_uri()

    shot = tmp_path / "report.png"
    done = run_chromium(binary, tmp_path / "profile", f"--screenshot={shot}", url)
    assert shot.exists() and shot.stat().st_size > 10_000, done.stderr[-2000:]

    dumped = run_chromium(
        binary, tmp_path / "profile", "--virtual-time-budget=5000", "--dump-dom", url
    )
    found = re.search(r'<pre id="layout">(.*?)</pre>', dumped.stdout, re.S)
    assert found, f"the page's layout probe did not run: {dumped.stderr[-2000:]}"
    layout = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))

    accepted = [p for p in report.photos if p.accepted and p.annotated_jpeg]
    assert accepted, "the demo should have analysed pictures"
    assert len(layout["findings"]) == len(accepted)
    for fig in layout["findings"]:
        assert fig["loaded"], f"{fig['step']}: the embedded picture did not load"
        assert fig["items"] >= 1, f"{fig['step']}: a picture without its findings"
        # beside, not below: the findings start right of the pictures, level with the first
        assert fig["listLeft"] >= fig["imgRight"] - 1, fig
        if fig["first"]:
            assert abs(fig["listTop"] - fig["imgTop"]) < 80, fig
        assert fig["imgWidth"] >= 200, fig
    measurements = layout["tables"]["measurements"]
    rated = [o for o in report.observations if o.rating != "not_assessed"]
    assert measurements["rows"] == len(rated) and measurements["head"] == measurements["cells"]
    assert layout["tables"]["causes"]["rows"] >= 1
    assert layout["links"] >= len(report.program.exercises if report.program else ())
    assert layout["overflow"] <= 0, "the page is wider than the window"
    text = layout["patientText"]
    assert not re.search(r"[a-z_]+\.[a-z_]+=[a-z_]+", text), "an internal atom shown to a patient"
    assert not re.search(r"\b(forward_bend|side_bend|standing)\.", text)
    if language == "ja":  # no English words in what the patient reads (STarT Back is a name)
        words = set(
            re.findall(r"[A-Za-z]{3,}", re.sub(r"STarT Back|McKenzie|NICE NG59|BMI", "", text))
        )
        assert not words, f"English words in the Japanese report: {sorted(words)}"
