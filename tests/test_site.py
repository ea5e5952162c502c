"""The site: a strict build with its generated material, French, self-contained, honest about
the version it teaches, and with no Python typed into the pages."""

import importlib.util
import re
import subprocess
from html.parser import HTMLParser
from importlib import metadata

from helpers import ROOT, build_site

DOCS = ROOT / "docs"
FIGURES = [
    "equilibre_classes.png",
    "distributions.png",
    "matrice_confusion.png",
    "metriques_selon_C.png",
    "sensibilite_C_gamma.png",
    "algorithmes.png",
]


class Resources(HTMLParser):
    """Collects the addresses a page loads by itself (scripts, styles, images, frames)."""

    def __init__(self):
        super().__init__()
        self.loaded = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe", "source") and attrs.get("src"):
            self.loaded.append(attrs["src"])
        if tag == "link" and attrs.get("href") and attrs.get("rel") not in ("canonical",):
            self.loaded.append(attrs["href"])


def test_every_page_is_french_and_loads_nothing_from_another_host(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 9
    for page in pages:
        html = page.read_text()
        assert '<html lang="fr"' in html, page
        parser = Resources()
        parser.feed(html)
        remote = [url for url in parser.loaded if re.match(r"(https?:)?//", url)]
        assert remote == [], (page, remote)


def test_generated_figures_are_in_the_site_and_not_in_the_repository(site):
    for name in FIGURES:
        figure = site / "figures" / name
        assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert not list(ROOT.glob(f"docs/**/{name}")), name
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [
        path for path in tracked if path.endswith((".png", ".db")) and "Images/" not in path
    ]


def test_model_page_shows_a_real_mlmodel_from_the_pinned_mlflow(site):
    html = (site / "local" / "modele" / "index.html").read_text()
    text = re.sub(r"<[^>]+>", "", html)
    assert f"mlflow_version: {metadata.version('mlflow')}" in text
    assert re.search(r"model_id: m-[0-9a-f]{32}", text)
    assert "python_function:" in text and "serialization_format: skops" in text


def test_a_rebuild_with_nothing_changed_reuses_the_generated_material(site, tmp_path):
    [done] = (ROOT / ".cache" / "generated").glob("*/DONE")
    before = done.stat().st_mtime_ns
    result = build_site(tmp_path / "again")
    assert result.returncode == 0, result.stderr[-3000:]
    assert done.stat().st_mtime_ns == before
    assert "Runs MLflow réels" not in result.stderr


def real_runs_hook():
    spec = importlib.util.spec_from_file_location("real_runs", ROOT / "hooks" / "real_runs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_placeholders_stand_in_for_every_generated_file(site):
    hook = real_runs_hook()
    [done] = (ROOT / ".cache" / "generated").glob("*/DONE")
    generated = sorted(path.name for path in done.parent.iterdir() if path.is_file())
    stand_ins = sorted(path.name for path in hook.placeholders().iterdir() if path.is_file())
    assert stand_ins == sorted(set(generated) - {"DONE"})
    assert sorted(path.name for path in (done.parent / "notebooks").iterdir()) == hook.EXECUTED


def test_without_real_runs_the_site_builds_from_the_placeholders(tmp_path):
    result = build_site(tmp_path / "site", COURSE_REAL_RUNS="0")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Runs MLflow réels" not in result.stderr
    page = (tmp_path / "site" / "local" / "premier-run" / "index.html").read_text()
    assert "(sortie non générée : COURSE_REAL_RUNS=0)" in page


def test_pages_name_the_pinned_mlflow_version():
    pinned = re.search(r"^mlflow==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M)[1]
    assert pinned == metadata.version("mlflow")
    assert f"**MLflow {pinned}**" in (DOCS / "index.md").read_text()
    assert f"MLflow {pinned}, la version du cours" in (DOCS / "tracking-ui.md").read_text()
    assert f"copyright: Cours écrit pour MLflow {pinned} " in (ROOT / "mkdocs.yml").read_text()


def test_no_python_is_typed_into_the_pages():
    fence = re.compile(r"^([ \t]*)```(?:py|python|python3)\b[^\n]*\n(.*?)^\1```", re.M | re.S)
    for page in DOCS.rglob("*.md"):
        for match in fence.finditer(page.read_text()):
            lines = [line.strip() for line in match.group(2).splitlines() if line.strip()]
            assert lines and all(line.startswith("--8<-- ") for line in lines), page


def test_every_snippet_module_has_its_test_module():
    modules = {path.stem for path in (ROOT / "snippets").glob("*.py")} - {"__init__"}
    missing = [name for name in modules if not (ROOT / "tests" / f"test_{name}.py").exists()]
    assert missing == []
    tests = "".join(path.read_text() for path in (ROOT / "tests").glob("test_*.py"))
    untested = [p.name for p in (ROOT / "snippets").glob("*.sh") if f'"{p.name}"' not in tests]
    assert untested == []


def prose_lines(page):
    """The page's lines outside code blocks, with inline code and link targets removed."""
    in_fence = False
    for number, line in enumerate(page.read_text().splitlines(), 1):
        if re.match(r"^\s*(```|~~~)", line):
            in_fence = not in_fence
            continue
        if not in_fence and not line.lstrip().startswith("--8<--"):
            yield number, re.sub(r"`[^`]*`|<https?://[^>]*>|\]\([^)]*\)", "", line)


def test_french_typography_uses_non_breaking_spaces():
    for page in DOCS.rglob("*.md"):
        for number, line in prose_lines(page):
            # " ![" opens an image: a plain space there, or the image leaves its list.
            assert not re.search(r" [:;?»]| !(?!\[)|« ", line), f"{page.name}:{number}: {line}"
        # A line that starts with a non-breaking space is indented code or list text gone wrong.
        for number, line in enumerate(page.read_text().splitlines(), 1):
            assert not re.match(r"[ \t]*\u00a0", line), f"{page.name}:{number}: {line}"
