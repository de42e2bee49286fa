"""The pages people open, loaded by a real browser: every image decoded and drawn.

The demo's report, faithful's report (the CLI's own runs, shared with the CLI tests),
a lesson and a study page.  Headless Chromium runs each page's script, which marks
the body with the number of images and whether every one has loaded.
"""

import re
import shutil
import subprocess

import pytest


def _browser():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


pytestmark = pytest.mark.skipif(
    _browser() is None, reason="no Chromium on this machine (apt-get install chromium)"
)


def _dom(page, tmp_path) -> str:
    cmd = [
        _browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=5000", "--dump-dom", page.as_uri(),
    ]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout


@pytest.fixture(scope="module")
def lesson_page(tmp_path_factory):
    from reports.lessons import build_lesson
    from reports.lessons.page import write_lesson

    return write_lesson(build_lesson("gradient"), tmp_path_factory.mktemp("lesson") / "gradient")


@pytest.fixture(scope="module")
def study_page(tmp_path_factory, serial_study):
    from reports.study import write_study_report

    return write_study_report(serial_study, tmp_path_factory.mktemp("study") / "report")


@pytest.mark.parametrize("which", ["demo", "faithful", "lesson", "study"])
def test_every_image_renders(which, request, tmp_path):
    page = {
        "demo": lambda: request.getfixturevalue("demo_page")[2] / "index.html",
        "faithful": lambda: request.getfixturevalue("faithful_page")[2] / "report" / "index.html",
        "lesson": lambda: request.getfixturevalue("lesson_page"),
        "study": lambda: request.getfixturevalue("study_page"),
    }[which]()
    html = page.read_text()
    images = html.count("<img ")
    assert images >= 2
    # every image carries alt text: its title and the caption's words
    alts = re.findall(r'<img [^>]*alt="([^"]*)"', html)
    assert len(alts) == images and all(len(a) > 40 for a in alts)
    dom = _dom(page, tmp_path)
    assert f'data-image-count="{images}"' in dom, dom[:500]
    assert 'data-images-ok="true"' in dom
