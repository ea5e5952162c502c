"""The built site, served on 127.0.0.1 and visited page by page in headless Chromium: nothing
fetched from another host, no console error, no failed request, every image loaded, French,
searchable in French, and no serious accessibility violation (axe-core)."""

import sys
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from helpers import chromium_or_skip

from tooling.captures import ui_tour
from tooling.servers.processes import free_port, started

SERIOUS = {"serious", "critical"}


@pytest.fixture(scope="module")
def served_site(site):
    port = free_port()
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    url = f"http://127.0.0.1:{port}"
    with started(command, f"{url}/", site, timeout=30):
        yield url, site


@pytest.fixture(scope="module")
def page():
    with ui_tour.browser(chromium_or_skip()) as page:
        yield page


def visit(page, url):
    """Loads url and reports what the browser saw: requests, errors, images, language, axe."""
    seen = {"hosts": set(), "console": [], "failed": [], "status": []}
    handlers = {
        "request": lambda request: seen["hosts"].add(urlsplit(request.url).hostname),
        "console": lambda message: message.type == "error" and seen["console"].append(message.text),
        "pageerror": lambda error: seen["console"].append(str(error)),
        "requestfailed": lambda request: seen["failed"].append(request.url),
        "response": lambda response: (
            response.status >= 400 and seen["status"].append((response.status, response.url))
        ),
    }
    for event, handler in handlers.items():
        page.on(event, handler)
    try:
        page.goto(url, wait_until="networkidle")
        seen["images"] = page.evaluate(
            "Array.from(document.images).map(i => [i.currentSrc, i.complete && i.naturalWidth > 0])"
        )
        seen["lang"] = page.get_attribute("html", "lang")
        seen["lightboxes"] = page.locator("a.glightbox img").count()
        violations = Axe().run(page).response["violations"]
        seen["axe"] = [
            (v["id"], v["impact"], v["help"], [node["target"] for node in v["nodes"]][:3])
            for v in violations
            if v["impact"] in SERIOUS
        ]
    finally:
        for event, handler in handlers.items():
            page.remove_listener(event, handler)
    return seen


@pytest.fixture(scope="module")
def visits(served_site, page):
    base, site = served_site
    paths = sorted(
        "/" + str(index.parent.relative_to(site)).removeprefix(".") + "/"
        for index in site.rglob("index.html")
        if "new destination</a>" not in index.read_text()  # an old address, redirected
    )
    paths = [path.replace("//", "/") for path in paths]
    return {path: visit(page, base + path) for path in paths}


def test_every_page_of_the_navigation_is_visited(visits):
    assert "/" in visits and "/tracking-ui/" in visits and "/local/sweep/" in visits
    assert len(visits) >= 9


def test_no_page_reaches_another_host(visits):
    for path, seen in visits.items():
        assert seen["hosts"] <= {"127.0.0.1"}, (path, seen["hosts"])


def test_no_console_error_and_no_failed_request(visits):
    for path, seen in visits.items():
        assert seen["console"] == [], path
        assert seen["failed"] == [], path
        assert seen["status"] == [], path


def test_every_image_loads_and_opens_in_a_lightbox(visits):
    for path, seen in visits.items():
        broken = [src for src, loaded in seen["images"] if not loaded]
        assert broken == [], path
    screenshots = [src for src, _ in visits["/tracking-ui/"]["images"] if "/images/" in src]
    assert len(screenshots) == 5
    assert visits["/tracking-ui/"]["lightboxes"] >= 5


def test_every_page_is_french(visits):
    assert {seen["lang"] for seen in visits.values()} == {"fr"}


def test_no_serious_or_critical_accessibility_violation(visits):
    found = {path: seen["axe"] for path, seen in visits.items() if seen["axe"]}
    assert found == {}


def test_the_search_finds_a_french_word_with_accents(served_site, page):
    base, _ = served_site
    page.goto(base + "/", wait_until="networkidle")
    search = page.get_by_role("textbox", name="Rechercher")
    search.click()
    search.press_sequentially("sensibilité")
    results = page.locator(".md-search-result__item")
    results.first.wait_for()
    texts = results.all_inner_texts()
    assert any("sensibilité" in text.lower() for text in texts), texts
    links = page.locator(".md-search-result__link").evaluate_all("a => a.map(l => l.href)")
    assert len(links) >= 3 and all(link.startswith(base + "/") for link in links), links


def test_choosing_windows_once_shows_windows_commands_on_every_page(served_site, page):
    base, _ = served_site
    page.goto(base + "/", wait_until="networkidle")
    page.locator(".tabbed-labels label", has_text="Windows (PowerShell)").first.click()
    # Another page, opened afresh: its tabs open on the learner's choice.
    page.goto(base + "/shared-server/", wait_until="networkidle")
    shown = page.locator(".tabbed-set").evaluate_all(
        """sets => sets.map(set => {
            const input = set.querySelector(':scope > input:checked');
            return set.querySelector(`label[for="${input.id}"]`).textContent.trim();
        })"""
    )
    assert len(shown) >= 2 and set(shown) == {"Windows (PowerShell)"}, shown
    visible = page.locator(".tabbed-block:visible code").all_inner_texts()
    assert any("$env:MLFLOW_TRACKING_URI" in text for text in visible), visible
    assert not any(text.startswith("export ") for text in visible), visible
