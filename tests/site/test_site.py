"""The site: a strict build with its generated material, French, self-contained, honest about
the version it teaches, and with no Python typed into the pages."""

import re
import subprocess
from html.parser import HTMLParser
from importlib import metadata

from helpers import ROOT, build_site

from tooling.sections import written_pages
from tooling.versions import pinned
from tooling.website import generated_folder, generation
from tooling.website.steps import STEP_BY_NAME, STEPS

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


def site_pages(site):
    """The site's pages, without the stubs that redirect an old address to its new page."""
    return [page for page in sorted(site.rglob("*.html")) if not redirect_target(page)]


def redirect_target(page):
    found = re.search(r'<a href="([^"]+)">new destination</a>', page.read_text())
    return found and (page.parent / found[1]).resolve()


def test_every_page_is_french_and_loads_nothing_from_another_host(site):
    pages = site_pages(site)
    assert len(pages) >= 9
    for page in pages:
        html = page.read_text()
        assert '<html lang="fr"' in html, page
        parser = Resources()
        parser.feed(html)
        remote = [url for url in parser.loaded if re.match(r"(https?:)?//", url)]
        assert remote == [], (page, remote)


def test_every_old_address_leads_to_its_new_page(site):
    stubs = [page for page in site.rglob("*.html") if redirect_target(page)]
    assert len(stubs) == 15  # the pages renamed, and the notebooks that became pages
    for stub in stubs:
        assert (redirect_target(stub) / "index.html").exists(), stub


def test_generated_figures_are_in_the_site_and_not_in_the_repository(site):
    for name in FIGURES:
        figure = site / "generated" / "figures" / name
        assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "docs/generated/figures/algorithmes.png"],
        cwd=ROOT,
        check=False,
    )
    assert ignored.returncode == 0  # docs/generated/ is ignored by git
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [
        path
        for path in tracked
        if path.endswith((".png", ".db", ".ipynb"))
        and not path.startswith("Images/")
        or path.startswith("docs/generated/")
    ]


def test_model_page_shows_a_real_mlmodel_from_the_pinned_mlflow(site):
    html = (site / "local" / "logged-model" / "index.html").read_text()
    text = re.sub(r"<[^>]+>", "", html)
    assert f"mlflow_version: {metadata.version('mlflow')}" in text
    assert re.search(r"model_id: m-[0-9a-f]{32}", text)
    assert "python_function:" in text and "serialization_format: skops" in text


def done_markers():
    markers = [folder / "DONE" for folder in generation.step_dirs().values()]
    return {path: path.stat().st_mtime_ns for path in markers}


def test_a_rebuild_with_nothing_changed_reuses_the_generated_material(site, tmp_path):
    before = done_markers()
    assert len(before) == len(STEPS)
    result = build_site(tmp_path / "again")
    assert result.returncode == 0, result.stderr[-3000:]
    assert done_markers() == before
    steps = len(STEPS)
    assert f"Génération : {steps} étapes, {steps} en cache, 0 à faire." in result.stderr


def test_the_stand_ins_have_the_names_of_every_generated_file(site, tmp_path):
    def files(folder):
        found = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
        # a notebook's own figures, and the learner's folder a step works in
        return {p for p in found if "_files/" not in p and not p.startswith("cours-mlflow/")}

    for step, folder in generation.generate().items():
        assert "DONE" in files(folder)
        assert files(folder) - {"DONE", "step.log"} - set(STEP_BY_NAME[step].outputs) == set()
        generated_folder.publish(STEP_BY_NAME[step], folder, tmp_path / "real")
        generated_folder.stand_ins(STEP_BY_NAME[step], "raison", tmp_path / "stand-ins")
    assert files(tmp_path / "stand-ins") == files(tmp_path / "real")
    screenshots = {"images/" + path for path in files(generated_folder.GENERATED / "images")}
    published = (
        files(generated_folder.GENERATED) - screenshots - {"outputs/" + generated_folder.BOX}
    )
    assert files(tmp_path / "real") == published


def test_a_stand_in_says_what_it_stands_for_and_looks_like_no_result(tmp_path):
    step = STEP_BY_NAME["local"]
    generated_folder.stand_ins(step, generated_folder.COMING, tmp_path)
    text = (tmp_path / "outputs" / "local_sweep.txt").read_text()
    assert "l'étape « local »" in text and "en cours" in text
    assert not re.search(r"\d\.\d", text)  # no figure that could pass for a metric
    notebook = (tmp_path / "notebooks" / "cours-local.md").read_text()
    assert "pas encore exécuté" in notebook
    generated_folder.stand_ins(step, generated_folder.FAILED, tmp_path)
    assert "a échoué" in (tmp_path / "outputs" / "local_sweep.txt").read_text()
    figure = (tmp_path / "figures" / "metriques_selon_C.png").read_bytes()
    assert figure[:8] == b"\x89PNG\r\n\x1a\n"
    assert figure != (generated_folder.GENERATED / "figures" / "metriques_selon_C.png").read_bytes()


def test_without_real_runs_the_site_builds_from_the_placeholders(tmp_path):
    result = build_site(tmp_path / "site", COURSE_REAL_RUNS="0")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Runs MLflow réels" not in result.stderr
    page = (tmp_path / "site" / "local" / "first-run" / "index.html").read_text()
    assert "(sortie non générée : COURSE_REAL_RUNS=0)" in page


def test_the_pages_name_the_pinned_versions_written_once(site):
    pins = pinned()
    assert pins["mlflow"] == metadata.version("mlflow")
    index = re.sub(r"<[^>]+>", "", (site / "index.html").read_text())
    assert f"MLflow {pins['mlflow']}" in index
    assert f"Cours écrit pour MLflow {pins['mlflow']} et scikit-learn" in index
    tracking_ui = re.sub(r"<[^>]+>", "", (site / "tracking-ui" / "index.html").read_text())
    assert f"MLflow {pins['mlflow']}, la version du cours" in tracking_ui


VERSION = re.compile(
    r"(?<![\w.-])(mlflow|MLflow|scikit-learn|pandas|numpy|matplotlib|mkdocs|psycopg)"
    r"(?:\[\w,]+\])?(==|, version | )(\d+\.\d+\.\d+)\b"
)


def named_versions(text):
    """(package, version) for each full version named next to a package the course pins;
    the version of a message that quotes another installation (« required: ») is left out."""
    text = re.sub(r"required: \S+==\S+", "", text)
    text = re.sub(r"deprecated as of MLflow \S+", "", text)  # MLflow's own message, quoted
    return [(name.lower(), version) for name, _, version in VERSION.findall(text)]


def test_no_page_or_snippet_names_a_version_by_hand():
    sources = [*written_pages(), *(ROOT / "snippets").iterdir(), ROOT / "mkdocs.yml"]
    for path in sources:
        if path.is_file():
            assert named_versions(path.read_text()) == [], path


def test_every_version_the_site_shows_is_the_pinned_one(site):
    pins = pinned()
    for page in site_pages(site):
        text = re.sub(r"<[^>]+>", "", page.read_text())
        for name, version in named_versions(text):
            assert version == pins[name], (page, name, version)


def test_the_check_catches_another_version():
    assert named_versions("pip install mlflow==3.16.0 (MLflow 3.17.2)") == [
        ("mlflow", "3.16.0"),
        ("mlflow", "3.17.2"),
    ]


def test_no_python_is_typed_into_the_pages():
    fence = re.compile(r"^([ \t]*)```(?:py|python|python3)\b[^\n]*\n(.*?)^\1```", re.M | re.S)
    for page in written_pages():
        for match in fence.finditer(page.read_text()):
            lines = [line.strip() for line in match.group(2).splitlines() if line.strip()]
            assert lines and all(line.startswith("--8<-- ") for line in lines), page


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
    for page in written_pages():
        for number, line in prose_lines(page):
            # " ![" opens an image: a plain space there, or the image leaves its list.
            assert not re.search(r" [:;?»]| !(?!\[)|« ", line), f"{page.name}:{number}: {line}"
        # A line that starts with a non-breaking space is indented code or list text gone wrong.
        for number, line in enumerate(page.read_text().splitlines(), 1):
            assert not re.match(r"[ \t]*\u00a0", line), f"{page.name}:{number}: {line}"
