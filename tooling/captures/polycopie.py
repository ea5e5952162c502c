"""Le polycopié : tout le cours en un seul PDF, imprimé par Chromium sans écran.

    python -m tooling.captures.polycopie [--site DOSSIER] [--output polycopie.pdf]

Sans --site, la commande construit d'abord le site (`mkdocs build`) dans un dossier
temporaire. Elle sert le site construit sur 127.0.0.1 (port libre), car le JavaScript de
Material a besoin de http, puis imprime chaque page de la navigation de mkdocs.yml, dans
l'ordre, en PDF : styles d'impression ajoutés par la commande (ni en-tête, ni barres
latérales, ni pied de page, ni boutons de copie), code replié à la ligne plutôt que coupé,
solutions et blocs repliables ouverts, chaque onglet montré sous son nom, adresse des liens
externes écrite après leur texte. Elle compte les pages de chaque PDF (pypdf), écrit la
couverture et le sommaire avec leurs numéros de page, numérote les pages et assemble le tout,
avec un signet par page.
"""

import contextlib
import datetime
import functools
import html
import http.server
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tooling import ROOT, command_line

MKDOCS_YML = ROOT / "mkdocs.yml"
MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
# A4 avec des marges de 15 mm, à l'échelle 0,8 : la page imprimée fait 850 px CSS de large.
PAPER = {"format": "A4", "scale": 0.8}
MARGIN = {"top": "15mm", "bottom": "18mm", "left": "15mm", "right": "15mm"}
VIEWPORT = {"width": 850, "height": 1200}
PAGE_TIMEOUT = 60_000  # ms ; les pages des notebooks pèsent près d'un Mo

PRINT_CSS = """
.md-header, .md-tabs, .md-sidebar, .md-footer, .md-search, .md-top, .md-dialog,
.md-clipboard, .md-code__nav, .md-content__button, .md-source-file, .headerlink,
.anchor-link, .zeroclipboard-container, .md-skip, .md-banner, .md-announce, .jp-InputPrompt,
.jp-OutputPrompt {
  display: none !important;
}
html, body { background: white !important; }
.md-main__inner, .md-content, .md-content__inner, .md-grid {
  margin: 0 !important; max-width: none !important; padding: 0 !important;
}
.md-content__inner::before { display: none !important; }
pre, pre code, .md-typeset pre > code, .highlight pre, .highlight code, code {
  white-space: pre-wrap !important; overflow-wrap: anywhere !important;
  overflow: visible !important; max-height: none !important;
}
.md-typeset details > summary::after { display: none !important; }
.tabbed-set > .tabbed-labels { display: none !important; }
.tabbed-set > .tabbed-content { display: block !important; }
.tabbed-set > .tabbed-content > .tabbed-block { display: block !important; }
.polycopie-onglet {
  font-weight: 700; margin: 0.8em 0 0.2em !important; border-bottom: 1px solid #ccc;
}
.polycopie-url { overflow-wrap: anywhere; color: #555; }
img, svg, video, figure, table, .md-typeset__table, .jp-OutputArea-output {
  max-width: 100% !important;
}
img { height: auto !important; }
.md-typeset__scrollwrap, .md-typeset__table, .jp-OutputArea-output { overflow: visible !important; }
.md-typeset table:not([class]) { display: table !important; width: 100% !important; }
.md-typeset table td, .md-typeset table th { overflow-wrap: anywhere; }
img, figure, tr { break-inside: avoid; }
h1, h2, h3, h4, summary, .polycopie-onglet { break-after: avoid; }
"""

# Le contenu caché par le site, montré pour l'impression.
PREPARE_JS = """
() => {
  document.querySelectorAll('details').forEach(d => d.setAttribute('open', ''));
  document.querySelectorAll('.tabbed-set').forEach(set => {
    const labels = set.querySelectorAll(':scope > .tabbed-labels > label');
    const blocks = set.querySelectorAll(':scope > .tabbed-content > .tabbed-block');
    blocks.forEach((block, i) => {
      if (!labels[i]) return;
      const title = document.createElement('p');
      title.className = 'polycopie-onglet';
      title.textContent = labels[i].textContent.trim();
      block.prepend(title);
    });
  });
  document.querySelectorAll('article a[href]').forEach(link => {
    const href = link.getAttribute('href');
    const text = link.textContent.trim();
    if (!/^https?:\\/\\//.test(href) || href.startsWith(location.origin)) return;
    if (text === href || text === href.replace(/\\/$/, '')) return;
    const url = document.createElement('span');
    url.className = 'polycopie-url';
    url.textContent = ` (${href})`;
    link.after(url);
  });
  document.querySelectorAll('img').forEach(img => img.loading = 'eager');
  return Promise.all([...document.images].map(img => img.complete ? null :
    new Promise(done => { img.onload = img.onerror = done; })));
}
"""

OVERFLOWING_JS = """
() => [...document.querySelectorAll('article pre')]
  .filter(pre => pre.offsetParent !== null)
  .filter(pre => [pre, ...pre.querySelectorAll(':scope > code')]
    .some(box => box.scrollWidth > box.clientWidth + 1))
  .map(pre => pre.textContent.split('\\n').reduce((a, b) => a.length >= b.length ? a : b, ''))
"""


@dataclass
class Entry:
    """Une page de la navigation : ses sections, son libellé, son fichier et son adresse."""

    sections: tuple
    label: str
    source: str
    url: str
    pages: int = 0
    first: int = 0  # indice de sa première page dans le polycopié (0 = la couverture)
    overflowing: list = field(default_factory=list)


class _Loader(yaml.SafeLoader):
    """Lit mkdocs.yml sans exécuter ses balises !!python (le slugify de pymdownx)."""


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def read_config(path=MKDOCS_YML):
    return yaml.load(Path(path).read_text(), Loader=_Loader)


def page_url(source):
    """L'adresse d'un fichier de docs/ sur le site (use_directory_urls) : local/x.md → local/x/."""
    stem = source.rsplit(".", 1)[0]
    if stem == "index" or stem.endswith("/index"):
        return stem[: -len("index")]
    return stem + "/"


def navigation(config=None):
    """Les pages de nav, dans l'ordre, avec les titres des sections qui les contiennent."""
    config = read_config() if config is None else config
    entries = []

    def walk(items, sections):
        for item in items:
            if isinstance(item, str):
                entries.append(Entry(sections, item, item, page_url(item)))
                continue
            [(label, value)] = item.items()
            if isinstance(value, list):
                walk(value, (*sections, label))
            elif "://" not in value:  # un lien externe n'est pas une page
                entries.append(Entry(sections, label, value, page_url(value)))

    walk(config["nav"], ())
    return entries


def french_date(day):
    """12 novembre 2026, 1er décembre 2026."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS.split()[day.month - 1]} {day.year}"


def front_matter(title, mlflow_version, day, entries, offset):
    """La couverture et le sommaire, en HTML ; offset : les pages avant la première page du
    cours (couverture et sommaire compris)."""
    rows, current = [], ()
    for entry in entries:
        if entry.sections != current:
            for depth, section in enumerate(entry.sections):
                if current[: depth + 1] != entry.sections[: depth + 1]:
                    rows.append(f'<li class="section s{depth}">{html.escape(section)}</li>')
            current = entry.sections
        number = entry.first + 1 if entry.pages else "…"
        rows.append(
            f'<li class="s{len(entry.sections)}"><span class="label">'
            f'{html.escape(entry.label)}</span><span class="dots"></span>'
            f'<span class="number">{number}</span></li>'
        )
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
  body {{ font-family: sans-serif; color: #222; margin: 0; }}
  .cover {{ height: 240mm; display: flex; flex-direction: column; justify-content: center;
           text-align: center; break-after: page; }}
  .cover .kind {{ font-size: 18pt; color: #3f51b5; }}
  .cover h1 {{ font-size: 30pt; margin: 0.6em 1em; }}
  .cover .built {{ font-size: 13pt; color: #555; }}
  h2 {{ font-size: 22pt; color: #3f51b5; }}
  ul {{ list-style: none; padding: 0; font-size: 12pt; }}
  li {{ display: flex; align-items: baseline; margin: 0.35em 0; break-inside: avoid; }}
  li.section {{ font-weight: 700; margin-top: 1em; break-after: avoid; }}
  li.s1 {{ padding-left: 1.5em; }} li.s2 {{ padding-left: 3em; }}
  li.section.s1 {{ padding-left: 1.5em; }}
  .dots {{ flex: 1; border-bottom: 1px dotted #999; margin: 0 0.4em; }}
</style></head><body>
<section class="cover">
  <div class="kind">Polycopié</div>
  <h1>{html.escape(title)}</h1>
  <p class="built">Construit le {french_date(day)} avec MLflow {html.escape(mlflow_version)}</p>
</section>
<section class="toc"><h2>Sommaire</h2><ul>{"".join(rows)}</ul></section>
<!-- offset {offset} -->
</body></html>"""


def page_numbers(labels):
    """Des pages A4 vides, sauf leur pied : « libellé — n / total », à superposer au PDF."""
    total = len(labels)
    pages = "".join(
        f'<div class="page"><div class="foot">{html.escape(label)}'
        f"{' — ' if label else ''}{number} / {total}</div></div>"
        for number, label in enumerate(labels, start=1)
    )
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
  @page {{ size: A4; margin: 0; }}
  body {{ margin: 0; font-family: sans-serif; }}
  .page {{ position: relative; height: 296.5mm; break-after: page; }}
  .foot {{ position: absolute; bottom: 8mm; left: 15mm; right: 15mm; text-align: right;
          font-size: 8pt; color: #666; }}
</style></head><body>{pages}</body></html>"""


@contextlib.contextmanager
def served(site):
    """Le site construit servi sur 127.0.0.1, port libre, dans un fil ; arrêté en sortie."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def browser(chromium):
    """Une page de Chromium sans écran, à la largeur de la page imprimée, qui ne joint que
    127.0.0.1."""
    from tooling.captures import ui_tour

    return ui_tour.browser(chromium, VIEWPORT, "fr-FR", PAGE_TIMEOUT)


def prepare(page, url):
    """Ouvre url comme pour l'imprimer : styles d'impression, blocs ouverts, onglets et
    adresses des liens montrés, images chargées."""
    page.goto(url, wait_until="networkidle")
    page.emulate_media(media="print")
    page.add_style_tag(content=PRINT_CSS)
    page.evaluate(PREPARE_JS)


def overflowing_code(page):
    """La plus longue ligne de chaque bloc de code de l'article plus large que sa boîte
    (donc coupé à l'impression) ; [] si aucun."""
    return page.evaluate(OVERFLOWING_JS)


def pdf(page, path):
    page.pdf(path=str(path), margin=MARGIN, print_background=True, **PAPER)


def pages_in(path):
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def render_html(page, content, path):
    page.set_content(content, wait_until="load")
    page.emulate_media(media="print")
    page.pdf(path=str(path), margin=MARGIN, print_background=True, format="A4")


def build_site(folder):
    """`mkdocs build` du cours dans folder."""
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--site-dir", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"mkdocs build a échoué :\n{result.stderr[-3000:]}")


def make(site, output, chromium, log=print, day=None):
    """Le polycopié du site construit dans site, écrit dans output ; rend les pages (Entry)."""
    from pypdf import PdfReader, PdfWriter

    config = read_config()
    from tooling.versions import pinned

    version = pinned()["mlflow"]
    day = day or datetime.date.today()
    entries = navigation(config)
    with tempfile.TemporaryDirectory() as tmp, served(site) as base, browser(chromium) as page:
        tmp = Path(tmp)
        for index, entry in enumerate(entries):
            start = time.monotonic()
            if not (Path(site) / entry.url / "index.html").exists():
                raise FileNotFoundError(f"{entry.source} : page absente du site construit")
            prepare(page, base + entry.url)
            entry.overflowing = overflowing_code(page)
            pdf(page, tmp / f"{index:03}.pdf")
            entry.pages = pages_in(tmp / f"{index:03}.pdf")
            cut = len(entry.overflowing)
            cut = f", {cut} bloc(s) de code coupé(s)" if cut else ""
            log(f"  {entry.label} : {entry.pages} p. ({time.monotonic() - start:.1f} s){cut}")

        # La couverture et le sommaire : leur nombre de pages décale les numéros.
        front, offset = tmp / "front.pdf", 0
        for _ in range(3):
            number = offset
            for entry in entries:
                entry.first, number = number, number + entry.pages
            cover = front_matter(config["site_name"], version, day, entries, offset)
            render_html(page, cover, front)
            if pages_in(front) == offset:
                break
            offset = pages_in(front)

        labels = ["", *["Sommaire"] * (offset - 1)]
        for entry in entries:
            labels += [entry.label] * entry.pages
        render_html(page, page_numbers(labels), tmp / "numbers.pdf")
        numbers = PdfReader(tmp / "numbers.pdf")

        writer = PdfWriter()
        writer.append(PdfReader(front))
        for index in range(len(entries)):
            writer.append(PdfReader(tmp / f"{index:03}.pdf"))
        for index, sheet in enumerate(writer.pages):
            if index:  # la couverture reste sans numéro
                sheet.merge_page(numbers.pages[index])
                sheet.compress_content_streams()  # merge_page les laisse décompressés
        writer.add_outline_item(title="Sommaire", page_number=1)
        parents = {}
        for entry in entries:
            parent = None
            for depth in range(len(entry.sections)):
                key = entry.sections[: depth + 1]
                if key not in parents:
                    parents[key] = writer.add_outline_item(
                        title=key[-1], page_number=entry.first, parent=parent
                    )
                parent = parents[key]
            writer.add_outline_item(title=entry.label, page_number=entry.first, parent=parent)
        writer.add_metadata({"/Title": f"{config['site_name']} — polycopié", "/Author": ""})
        writer.page_mode = "/UseOutlines"
        writer.compress_identical_objects()
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        with open(output, "wb") as file:
            writer.write(file)
    return entries


def main(argv=None):
    parser = command_line(__spec__, "Le cours en un PDF, imprimé par Chromium sans écran.")
    parser.add_argument(
        "--site",
        type=Path,
        help="un site déjà construit (par défaut : mkdocs build dans un dossier temporaire)",
    )
    parser.add_argument(
        "--output", type=Path, default=Path("polycopie.pdf"), help="par défaut : polycopie.pdf"
    )
    args = parser.parse_args(argv)
    from tooling.captures.ui_tour import CHROMIUM_HELP, find_chromium

    chromium = find_chromium()
    if chromium is None:
        sys.exit(CHROMIUM_HELP)
    start = time.monotonic()
    with contextlib.ExitStack() as stack:
        site = args.site
        if site is None:
            site = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="site-")))
            print("Construction du site (mkdocs build)…")
            build_site(site)
        elif not (site / "index.html").exists():
            sys.exit(f"{site} : pas de site construit (index.html absent)")
        print(f"Impression des pages de {site} :")
        entries = make(site, args.output, chromium)
    cut = [(entry.label, line) for entry in entries for line in entry.overflowing]
    for label, line in cut:
        print(f"Attention, code coupé ({label}) : {line[:80]}", file=sys.stderr)
    total = pages_in(args.output)
    size = args.output.stat().st_size / 1e6
    print(
        f"Polycopié écrit : {args.output} ({total} pages, {size:.1f} Mo) "
        f"en {time.monotonic() - start:.0f} s"
    )
    return 1 if cut else 0


if __name__ == "__main__":
    sys.exit(main())
