"""The polycopié (python -m tooling.captures.polycopie): the built site printed by headless Chromium
into one PDF, read back with pypdf and compared with the built pages, parsed here on their own."""

import datetime
import re
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from helpers import ROOT, build_site, chromium_or_skip, nav_labels, nav_sources
from PIL import Image

from tooling.captures import polycopie

EXTERNAL = re.compile(r"^https?://")


def squeezed(text):
    """Text without any whitespace: wrapped lines and page breaks no longer count."""
    return re.sub(r"\s+", "", text)


def built_page(site, source):
    stem = source.rsplit(".", 1)[0]
    folder = "" if stem == "index" else stem
    return Path(site) / folder / "index.html"


def article(site, source):
    soup = BeautifulSoup(built_page(site, source).read_text(), "html.parser")
    return soup.select_one("article")


def title(node):
    """A heading's text, without its permalink."""
    for link in node.select(".headerlink, .anchor-link"):
        link.decompose()
    return " ".join(node.get_text().split())


def test_the_navigation_is_mkdocs_yml_nav_in_order():
    entries = polycopie.navigation()
    assert [entry.source for entry in entries] == nav_sources()
    assert [entry.label for entry in entries] == nav_labels()
    written = [entry.source for entry in entries if not entry.source.startswith("generated/")]
    assert all((ROOT / "docs" / page).exists() for page in written)  # notebooks: generated
    urls = {entry.source: entry.url for entry in entries}
    assert urls["index.md"] == "" and urls["local/first-run.md"] == "local/first-run/"
    assert urls["generated/notebooks/cours-local.md"] == "generated/notebooks/cours-local/"
    sections = {entry.source: entry.sections for entry in entries}
    assert sections["local/sweep.md"] == ("Implémentation en local",)


def test_the_cover_date_is_written_in_french():
    assert polycopie.french_date(datetime.date(2026, 12, 1)) == "1er décembre 2026"
    assert polycopie.french_date(datetime.date(2026, 8, 15)) == "15 août 2026"


@pytest.fixture(scope="module")
def printed(site, tmp_path_factory):
    """The polycopié of the session's site, built once: its path, the printed pages (Entry)
    and the text of each PDF page."""
    from pypdf import PdfReader

    chromium = chromium_or_skip()
    output = tmp_path_factory.mktemp("polycopie") / "polycopie.pdf"
    entries = polycopie.make(site, output, chromium, log=lambda *args: None)
    reader = PdfReader(output)
    return output, entries, [page.extract_text() for page in reader.pages]


@pytest.fixture(scope="module")
def pages(site):
    """Each navigation page's article in the built site, in navigation order."""
    return [(source, article(site, source)) for source in nav_sources()]


@pytest.mark.browser
def test_the_cover_names_the_pinned_mlflow_version_and_the_build_date(printed):
    _, _, texts = printed
    [version] = re.findall(r"^mlflow==(\S+)", ROOT.joinpath("requirements.txt").read_text(), re.M)
    cover = " ".join(texts[0].split())
    assert "Polycopié" in cover
    assert f"avec MLflow {version}" in cover
    assert polycopie.french_date(datetime.date.today()) in cover
    assert "Sommaire" in texts[1]


@pytest.mark.browser
def test_every_page_is_printed_in_navigation_order_where_the_toc_says(printed, pages):
    _, _, texts = printed
    flat = [" ".join(text.split()) for text in texts]
    toc_end = next(i for i, text in enumerate(flat) if nav_labels()[-1] in text)
    # The table of contents: every nav label with a page number, in order.
    toc = " ".join(flat[1 : toc_end + 1])
    numbers, position = [], 0
    for label in nav_labels():
        match = re.compile(re.escape(label) + r" (\d+)").search(toc, position)
        assert match, label
        numbers.append(int(match[1]))
        position = match.end()
    assert numbers == sorted(numbers) and numbers[0] == toc_end + 2
    assert numbers[-1] <= len(texts)
    # Each page's H1 is printed on the page the table of contents gives, in order.
    for number, (source, node) in zip(numbers, pages, strict=True):
        heading = title(node.select_one("h1"))
        assert squeezed(heading) in squeezed(texts[number - 1]), (source, number, heading)


@pytest.mark.browser
def test_the_bookmarks_lead_to_every_page(printed):
    from pypdf import PdfReader

    output, _, texts = printed
    reader = PdfReader(output)

    def flatten(outline):
        for item in outline:
            if isinstance(item, list):
                yield from flatten(item)
            else:
                yield item.title, reader.get_destination_page_number(item)

    bookmarks = dict(flatten(reader.outline))
    assert set(nav_labels()) <= set(bookmarks)
    assert "Sommaire" in texts[bookmarks["Sommaire"]]
    for label in nav_labels():
        assert f"{label} — {bookmarks[label] + 1} / {len(texts)}" in " ".join(
            texts[bookmarks[label]].split()
        )


def pdf_images(output):
    """(width, height) of every image XObject of the PDF, inside forms too."""
    from pypdf import PdfReader

    found, seen = [], set()

    def visit(resources):
        xobjects = resources.get("/XObject") if resources else None
        for reference in (xobjects or {}).values():
            key = getattr(reference, "idnum", None)
            if key in seen:
                continue
            seen.add(key)
            xobject = reference.get_object()
            if xobject.get("/Subtype") == "/Image":
                found.append((int(xobject["/Width"]), int(xobject["/Height"])))
            elif xobject.get("/Subtype") == "/Form":
                visit(xobject.get("/Resources"))

    for page in PdfReader(output).pages:
        visit(page.get("/Resources"))
    return found


def article_images(site, source, node):
    """(width, height) of every raster image of an article, read from the built files."""
    import base64
    import io

    sizes = []
    for img in node.select("img"):
        src = img["src"]
        if src.startswith("data:image/png;base64,"):
            data = io.BytesIO(base64.b64decode(src.split(",", 1)[1]))
        elif src.endswith((".png", ".jpg", ".jpeg")):
            data = (built_page(site, source).parent / src).resolve()
        else:
            continue
        with Image.open(data) as image:
            sizes.append(image.size)
    return sizes


@pytest.mark.browser
def test_every_figure_and_screenshot_is_in_the_pdf(printed, pages, site):
    output, _, _ = printed
    expected = [size for source, node in pages for size in article_images(site, source, node)]
    screenshots = {
        img["src"].rsplit("/", 1)[-1] for _, node in pages for img in node.select("img")
    } & {path.name for path in ROOT.joinpath("Images").glob("*.png")}
    assert len(expected) >= 20 and len(screenshots) >= 10
    found = pdf_images(output)
    missing = [size for size in expected if size not in found]
    assert missing == []
    assert len(found) >= len(set(expected))


@pytest.mark.browser
def test_no_code_block_is_cut_and_long_lines_are_printed_whole(printed, pages):
    _, entries, texts = printed
    assert {entry.label: entry.overflowing for entry in entries if entry.overflowing} == {}
    text = squeezed("".join(texts))
    long_lines = [
        line
        for _, node in pages
        for pre in node.select("pre")
        for line in pre.get_text().splitlines()
        if len(line) > 100
    ]
    assert len(long_lines) >= 3
    assert [line for line in long_lines if squeezed(line) not in text] == []


@pytest.mark.browser
def test_the_check_for_cut_code_can_fail(site):
    """On screen, the long lines of the troubleshooting page scroll in their box (cut on
    paper); once prepared for printing, none does."""
    chromium = chromium_or_skip()
    with polycopie.served(site) as base, polycopie.browser(chromium) as page:
        page.goto(base + "diagnostic/", wait_until="networkidle")
        assert len(polycopie.overflowing_code(page)) >= 3
        polycopie.prepare(page, base + "diagnostic/")
        assert polycopie.overflowing_code(page) == []


@pytest.mark.browser
def test_folded_blocks_tabs_and_external_links_are_all_printed(printed, site):
    _, _, texts = printed
    text = squeezed("".join(texts))
    samples = []
    for source in nav_sources():
        node = article(site, source)  # parsed afresh: the links get their address below
        for link in node.select("a[href]"):
            if EXTERNAL.match(link["href"]) and link.get_text().strip() != link["href"]:
                samples.append((source, f"({link['href']})"))
                link.insert_after(f" ({link['href']})")  # as printed, inside the samples below
        for block in node.select("details, .tabbed-block"):
            lines = [line for line in block.get_text().splitlines() if line.strip()]
            samples += [(source, lines[1 if block.name == "details" else 0][:60])]
            samples += [(source, lines[-1][:60])]
        for tabs in node.select(".tabbed-labels label"):
            samples.append((source, tabs.get_text()))
    assert len(samples) > 100
    assert [(source, s) for source, s in samples if squeezed(s) not in text] == []


def test_the_published_site_carries_the_polycopie_and_its_home_page_links_it(
    printed, site, tmp_path
):
    """What the publishing workflow does after printing: the site built again with
    COURSE_POLYCOPIE; without it (mkdocs serve, the session's site), no link and no PDF."""
    output, _, _ = printed
    published = tmp_path / "site"
    result = build_site(published, COURSE_POLYCOPIE=str(output))
    assert result.returncode == 0, result.stderr[-3000:]
    assert not re.search(r"^(WARNING|ERROR)\s+-", result.stderr, re.M), result.stderr
    assert (published / "generated" / "polycopie.pdf").read_bytes() == output.read_bytes()
    home = BeautifulSoup((published / "index.html").read_text(), "html.parser")
    [link] = home.select('article a[href="generated/polycopie.pdf"]')
    assert link.get_text() == "polycopié"
    assert "Le cours en un seul PDF" in home.select_one("article").get_text()

    plain = BeautifulSoup((Path(site) / "index.html").read_text(), "html.parser")
    assert plain.select('a[href="generated/polycopie.pdf"]') == []
    assert "un seul PDF" not in plain.select_one("article").get_text()
    assert not (Path(site) / "generated" / "polycopie.pdf").exists()


def test_a_missing_polycopie_fails_the_build_with_its_name(tmp_path):
    started = time.monotonic()
    result = build_site(tmp_path / "site", COURSE_POLYCOPIE=str(tmp_path / "absent.pdf"))
    assert result.returncode != 0
    assert "COURSE_POLYCOPIE" in result.stderr and "absent.pdf" in result.stderr
    assert time.monotonic() - started < 60  # before any run of the generation
    assert not (tmp_path / "site").exists()
