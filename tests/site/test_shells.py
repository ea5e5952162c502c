"""Every command a learner types runs on Linux, macOS and Windows: over the whole built site,
a shell block with bash-only syntax sits in a « Linux / macOS » tab beside a « Windows
(PowerShell) » one, and the PowerShell blocks use only the constructs MAINTAINERS.md lists (the
one part of the course that the tests cannot run)."""

import re
from html.parser import HTMLParser

import markdown
import pytest
from helpers import ROOT
from mkdocs.config import load_config

from tooling.sections import GENERATED_INCLUDE, written_pages

LINUX, WINDOWS = "Linux / macOS", "Windows (PowerShell)"
SHELLS = {"bash", "sh", "shell", "zsh", "console"}
# What bash and zsh understand, and PowerShell (5.1, or 7 too) does not.
BASH_ONLY = {
    "export": r"^\s*export\s",
    "unset": r"^\s*unset\s",
    "source": r"^\s*(source|\.)\s",
    "$VAR": r"\$\{?[A-Za-z_]",
    "$( )": r"\$\(",
    "backslash continuation": r"\\\s*$",
    "read -s": r"\bread\s+-\w*s",
    "lsof": r"\blsof\b",
    "&& (not in PowerShell 5.1)": r"&&",
    "python3 (absent on Windows)": r"(^|\s)python3(\.\d+)?\s",
}
# What stops zsh, macOS's shell, wherever the block sits: unquoted brackets are a file pattern
# there (« zsh: no matches found: mlflow[databricks]… »).
UNQUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
ZSH_GLOB = re.compile(r"[^\s\[]\[[^\]]*\]")
# The PowerShell lines of the course, checked against Microsoft's documentation (MAINTAINERS.md).
POWERSHELL = [
    r'\$env:[A-Z_]+ = "[^"$`]*"',  # set a variable for the session
    r"\$env:[A-Z_]+ = \[System\.Net\.NetworkCredential\]::new\(\"\", "
    r"\(Read-Host -AsSecureString\)\)\.Password",  # read a secret without echo
    r"Remove-Item Env:[A-Z_]+",  # remove it
    r"\$env:[A-Z_]+",  # show it
    r"\.\\\.venv\\Scripts\\Activate\.ps1",  # activate the virtual environment
    r"Set-ExecutionPolicy -ExecutionPolicy RemoteSigned -Scope CurrentUser",
    r"Get-Process -Id \(Get-NetTCPConnection -LocalPort \d+ -State Listen\)\.OwningProcess",
    # A program and its arguments: no variable, no continuation, no chaining, no splatting,
    # no redirection, curl.exe and not PowerShell's curl.
    r'(py|python|pip|mlflow|mkdocs|databricks|winget|curl\.exe)( ("[^"$`]*"|[^\s"$`@<>|&;]+))*',
    r"#.*",  # a comment
]
# The server's own set-up on the shared-server page: a Linux host, administered in bash.
SERVER_HOST = ("shared-server/index.html", ("1.", "2.", "3.", "4."))
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    @property
    def classes(self):
        return (self.attrs.get("class") or "").split()

    def text(self):
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def elements(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.elements()


class Tree(HTMLParser):
    """The page as a tree of elements, enough to know which tab holds which block."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("document", {}, None)
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def code_blocks(html):
    """(language, code, tab label or None, the labels of its tab set, section title)."""
    section = ""
    for node in Tree(html).root.elements():
        if node.tag == "h2":
            section = node.text().replace("¶", "").strip()
        languages = [c.removeprefix("language-") for c in node.classes if c.startswith("language-")]
        if node.tag != "div" or "highlight" not in node.classes or not languages:
            continue
        label, labels = tab_of(node)
        yield languages[0], node.text(), label, labels, section


def tab_of(node):
    while node is not None and "tabbed-block" not in node.classes:
        node = node.parent
    if node is None:
        return None, []
    content, tab_set = node.parent, node.parent.parent
    blocks = [c for c in content.children if isinstance(c, Node) and "tabbed-block" in c.classes]
    [label_bar] = [
        c for c in tab_set.children if isinstance(c, Node) and "tabbed-labels" in c.classes
    ]
    labels = [label.text().strip() for label in label_bar.elements() if label.tag == "label"]
    return labels[blocks.index(node)], labels


def problems(name, html):
    """What stops a learner on one of the three systems, block by block."""
    found = []
    blocks = list(code_blocks(html))
    for language, code, label, labels, section in blocks:
        lines = [line for line in code.splitlines() if line.strip()]
        if label in (LINUX, WINDOWS) or LINUX in labels or WINDOWS in labels:
            if labels != [LINUX, WINDOWS]:
                found.append(f"{name}: onglets {labels}, attendus [{LINUX!r}, {WINDOWS!r}]")
        if language in SHELLS:
            bash_only = [
                what for what, rule in BASH_ONLY.items() for line in lines if re.search(rule, line)
            ]
            exempt = name == SERVER_HOST[0] and section.startswith(SERVER_HOST[1])
            for line in lines:
                if not line.lstrip().startswith("#") and ZSH_GLOB.search(UNQUOTED.sub("", line)):
                    found.append(f"{name}: des crochets hors guillemets, refusés par zsh : {line}")
            if bash_only and not exempt and (label != LINUX or WINDOWS not in labels):
                found.append(
                    f"{name} ({section}): {sorted(set(bash_only))} hors d'un onglet "
                    f"{LINUX!r} voisin d'un onglet {WINDOWS!r}\n{code}"
                )
        elif language == "powershell":
            if label != WINDOWS:
                found.append(f"{name}: un bloc PowerShell hors de l'onglet {WINDOWS!r}")
            for line in lines:
                if not any(re.fullmatch(rule, line.strip()) for rule in POWERSHELL):
                    found.append(f"{name}: construction PowerShell hors de la liste : {line}")
    # Each Linux / macOS tab has its Windows block, and the other way round.
    shells = {
        (tuple(labels), label)
        for language, _, label, labels, _ in blocks
        if language in SHELLS | {"powershell"}
    }
    for labels, label in shells:
        other = WINDOWS if label == LINUX else LINUX
        if label in (LINUX, WINDOWS) and (labels, other) not in shells:
            found.append(f"{name}: un onglet {label!r} sans bloc dans l'onglet {other!r}")
    return found


def site_pages(site):
    for page in sorted(site.rglob("*.html")):
        if "new destination</a>" not in (text := page.read_text()):
            yield page.relative_to(site).as_posix(), text


def rendered_pages():
    """Each page's Markdown turned into HTML with the site's own extensions, without a build
    (the generated outputs left out): the quick tier's view of the same blocks."""
    config = load_config(str(ROOT / "mkdocs.yml"))
    config["mdx_configs"]["pymdownx.snippets"]["base_path"] = [str(ROOT)]
    for page in written_pages():
        if "includes" in page.relative_to(ROOT / "docs").parts:
            continue
        md = markdown.Markdown(
            extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"]
        )
        text = GENERATED_INCLUDE.sub("", page.read_text())
        name = page.relative_to(ROOT / "docs").with_suffix("").as_posix() + "/index.html"
        yield name.replace("index/index.html", "index.html"), md.convert(text)


def test_every_command_in_the_pages_runs_in_the_three_shells():
    found = [problem for name, html in rendered_pages() for problem in problems(name, html)]
    assert found == [], "\n\n".join(found)


def test_every_command_on_the_site_runs_in_the_three_shells(site):
    pages = dict(site_pages(site))
    found = [problem for name, html in pages.items() for problem in problems(name, html)]
    assert found == [], "\n\n".join(found)
    windows = [
        code
        for html in pages.values()
        for language, code, *_ in code_blocks(html)
        if language == "powershell"
    ]
    assert len(windows) >= 8  # the course does give Windows its commands


BLOCK = '<div class="language-{0} highlight"><pre><code>{1}</code></pre></div>'
TABS = (
    '<h2>Un titre</h2><div class="tabbed-set tabbed-alternate"><div class="tabbed-labels">'
    '<label>{0}</label><label>{1}</label></div><div class="tabbed-content">'
    '<div class="tabbed-block">' + BLOCK.format("bash", "{2}") + "</div>"
    '<div class="tabbed-block">' + BLOCK.format("powershell", "{3}") + "</div></div></div>"
)
ALONE = BLOCK.format("bash", "{0}")


@pytest.mark.parametrize(
    "html",
    [
        ALONE.format("export MLFLOW_TRACKING_URI=sqlite:///mlflow.db"),
        ALONE.format('mlflow models serve -m "models:/$MODEL_ID"'),
        ALONE.format("curl -X POST http://127.0.0.1:5001/invocations \\\n  --data @requete.json"),
        ALONE.format("read -rs DATABRICKS_TOKEN"),
        ALONE.format("python3 -m venv .venv"),
        ALONE.format("pip install mlflow[databricks]"),
        TABS.format(LINUX, "Windows", "unset X", "Remove-Item Env:X"),
        TABS.format(LINUX, WINDOWS, "unset X", "Remove-Item Env:X && mlflow ui"),
        TABS.format(LINUX, WINDOWS, "lsof -i :5000", "curl -X POST http://127.0.0.1:5001"),
        TABS.format(LINUX, WINDOWS, "source .venv/bin/activate", "$env:X = $env:Y"),
    ],
)
def test_the_check_catches_what_breaks_a_shell(html):
    assert problems("page.html", html)


def test_the_check_accepts_the_course_forms():
    ok = TABS.format(
        LINUX,
        WINDOWS,
        "export MLFLOW_TRACKING_URI=http://127.0.0.1:5000\nsource .venv/bin/activate",
        '$env:MLFLOW_TRACKING_URI = "http://127.0.0.1:5000"\n.\\.venv\\Scripts\\Activate.ps1',
    )
    alone = ALONE.format('mlflow ui --port 5000\npip install "mlflow[databricks]"')
    assert problems("page.html", ok + alone) == []


def test_the_maintainers_guide_lists_the_powershell_constructs_of_the_course():
    readme = (ROOT / "MAINTAINERS.md").read_text()
    for construct in [
        "$env:",
        "Remove-Item Env:",
        "Read-Host -AsSecureString",
        "Activate.ps1",
        "Set-ExecutionPolicy",
        "Get-NetTCPConnection",
        "curl.exe",
    ]:
        assert construct in readme, construct
