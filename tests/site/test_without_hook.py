"""The site builds with no MkDocs hook once `python -m tooling.generate` has run: what a
successor of MkDocs and Material (which loads neither `hooks:` nor mkdocs-jupyter) would do.

The build reads a copy of mkdocs.yml with `hooks:` and `watch:` taken out; the site it gives
must be the one the usual build gives (the `site` fixture, built with the hook), file for
file: every page of the navigation, every figure and screenshot, the notebooks as pages and as
downloads, the versions and the copyright line."""

import filecmp
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers import ROOT, nav_sources

from tooling.versions import copyright_line, pinned
from tooling.website import generated_folder

NOTEBOOKS = ["cours-local", "cours-databricks", "cours-plus-loin"]


def without_hook(text):
    """mkdocs.yml with its hooks: and watch: blocks taken out, its folders made absolute."""
    kept, skipping = [], False
    for line in text.splitlines():
        if re.match(r"^(hooks|watch):\s*$", line):
            skipping = True
            continue
        if skipping and (line.startswith("  ") or not line.strip()):
            continue
        skipping = False
        kept.append(line)
    text = "\n".join(kept) + "\n"
    assert "hooks:" not in text and "real_runs" not in text and "\nwatch:" not in text
    text = text.replace("\ndocs_dir: docs\n", f"\ndocs_dir: {ROOT / 'docs'}\n")
    return text.replace("custom_dir: overrides", f"custom_dir: {ROOT / 'overrides'}")


@pytest.fixture(scope="module")
def hookless(site, tmp_path_factory):
    """The site built from mkdocs.yml without its hook, after generation: its folder.
    (The `site` fixture's build ran the generation: docs/generated/ is complete.)"""
    folder = tmp_path_factory.mktemp("hookless")
    generate = subprocess.run(
        [sys.executable, "-m", "tooling.generate"],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert generate.returncode == 0, generate.stderr[-3000:]
    assert " 0 à faire" in generate.stdout + generate.stderr  # all in the cache already
    config = folder / "mkdocs.yml"
    config.write_text(without_hook(ROOT.joinpath("mkdocs.yml").read_text()))
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config)]
    built = subprocess.run(
        [*command, "--site-dir", str(folder / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    assert "real_runs" not in built.stderr and "Génération" not in built.stderr
    return folder / "site"


def files(folder):
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


# Files whose bytes change from one build to the next whatever the engine does.
VARYING = {"sitemap.xml.gz"}


def test_the_site_without_the_hook_is_the_same_site(site, hookless):
    assert files(hookless) == files(site)
    different = [
        path
        for path in sorted(files(site) - VARYING)
        if not filecmp.cmp(site / path, hookless / path, shallow=False)
    ]
    assert different == []


class Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.sources.append(dict(attrs).get("src", ""))


def page_html(site, source):
    """The HTML of the page built from a nav source (docs/<source>)."""
    path = Path(source).with_suffix("")
    return site / ("index.html" if path.name == "index" else path / "index.html")


def test_every_page_is_there_with_its_versions_and_images_and_no_placeholder(hookless):
    pins = pinned()
    sources = nav_sources()
    assert len(sources) > 20
    shown_versions = 0
    for source in sources:
        html_path = page_html(hookless, source)
        assert html_path.is_file(), source
        html = html_path.read_text()
        assert "{{ version:" not in html, source
        assert "sortie non générée" not in html and "pas encore exécuté" not in html, source
        assert copyright_line() in html, source
        shown_versions += html.count(pins["mlflow"])
        parser = Images()
        parser.feed(html)
        for src in parser.sources:
            if src.startswith(("http:", "https:", "data:")):
                continue
            image = (html_path.parent / src.split("#")[0]).resolve()
            assert image.is_file() and image.stat().st_size > 0, (source, src)
    assert shown_versions > 10
    assert f"MLflow {pins['mlflow']}" in copyright_line()


def test_the_notebooks_are_pages_with_their_downloads(hookless):
    for name in NOTEBOOKS:
        page = (hookless / "generated" / "notebooks" / name / "index.html").read_text()
        assert f'href="../{name}.ipynb"' in page and "download" in page
        download = hookless / "generated" / "notebooks" / f"{name}.ipynb"
        published = generated_folder.GENERATED / "notebooks" / download.name
        assert download.read_bytes() == published.read_bytes()
    local = (hookless / "generated" / "notebooks" / "cours-local" / "index.html").read_text()
    assert "Expérience « " in local  # what the executed cells printed
    assert "cours-local_files/" in local  # and the figures they drew
