"""L'empreinte d'une étape de la génération, tirée de ce qu'elle lit vraiment, sans liste tenue
à la main :
- le code qu'elle exécute ou montre (les blocs de sa page, sections incluses ; son notebook) ;
- les fichiers de snippets/ et de tooling/ qu'elle importe, de proche en proche, trouvés en
  lisant leurs import avec ast : ceux de son module, ceux du code qu'elle exécute, même dans
  une fonction, les imports relatifs, les paquets parents (leur __init__.py s'exécute), et les
  modules qu'elle lance par « python -m nom » (avec leur __main__.py) ;
- les versions installées : les distributions de ce que l'apprenant installe
  (requirements.txt, dépendances comprises) et celles des autres modules importés ; et la
  version de Python.
"""

import ast
import functools
import hashlib
import itertools
import os
import re
import sys
from importlib import metadata

from tooling import ROOT
from tooling.website.maintainer_tools import closure, requirement_names

PACKAGES = ("snippets", "tooling")  # le code du dépôt ; tout le reste est installé
MAGIC = re.compile(r"^[ \t]*[%!].*$", re.M)  # les commandes de Jupyter (%pip, !ls), pas du Python


def module_file(name, root=ROOT):
    """Le fichier du module name sous snippets/ ou tooling/ de root, ou None."""
    if name.partition(".")[0] not in PACKAGES:
        return None
    base = root.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


@functools.lru_cache(maxsize=4096)
def imported(source, package=""):
    """Les noms des modules qu'importe ou que lance le code source ; package : le paquet de
    ce code, pour ses imports relatifs. Un « from a import b » donne a et a.b (b est peut-être
    un sous-module) ; « "-m", "a" » dans une liste d'arguments donne a et a.__main__."""
    names = set()
    for node in ast.walk(ast.parse(MAGIC.sub("", source))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*parts, node.module or ""] if node.level else [node.module])
            base = base.strip(".")
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.List | ast.Tuple):
            items = [item.value if isinstance(item, ast.Constant) else None for item in node.elts]
            for option, value in itertools.pairwise(items):
                if option == "-m" and isinstance(value, str):
                    names.update([value, f"{value}.__main__"])
    return frozenset(names)


def reads(code, modules, root=ROOT):
    """(les fichiers de snippets/ et tooling/ que lisent le code (des textes Python) et les
    modules nommés, de proche en proche, triés ; les noms de premier niveau des autres
    modules importés)."""
    todo = set(modules).union(*(imported(text) for text in code))
    seen, files, others = set(), set(), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo.update(".".join(parts[:end]) for end in range(1, len(parts)))  # ses paquets
        path = module_file(name, root)
        if path is None:
            if parts[0] not in PACKAGES:
                others.add(parts[0])
            continue
        files.add(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        todo.update(imported(path.read_text(), package))
    return sorted(files), others


@functools.cache
def learner_distributions():
    """Les distributions qu'installe un apprenant : requirements.txt et ses dépendances."""
    return frozenset(closure(requirement_names(ROOT / "requirements.txt")))


@functools.cache
def packages_distributions():
    """{module de premier niveau: ses distributions} : lu une fois (une demi-seconde)."""
    return metadata.packages_distributions()


@functools.cache
def distributions_of(module):
    """Les distributions installées qui fournissent le module de premier niveau module."""
    if module in sys.stdlib_module_names:
        return ()
    return tuple(packages_distributions().get(module, ()))


@functools.cache
def versions(modules):
    """« distribution==version » de ce qu'installe l'apprenant et des distributions des
    modules nommés (un frozenset), triées."""
    names = set(learner_distributions())
    names.update(dist for module in modules for dist in distributions_of(module))
    found = set()
    for name in names:
        try:
            found.add(f"{re.sub(r'[-_.]+', '-', name).lower()}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue  # une dépendance propre à une autre plateforme
    return tuple(sorted(found))


_installed = None


def installed():
    """De quoi voir qu'un paquet a été installé ou retiré : la date des dossiers de sys.path
    (pip y crée ou y retire un dossier .dist-info)."""
    return tuple(os.stat(entry).st_mtime_ns for entry in sys.path if entry and os.path.isdir(entry))


def forget_versions():
    """Oublie les versions lues si les paquets installés ont changé : mkdocs serve garde ce
    module d'une construction à l'autre."""
    global _installed
    if installed() != _installed:
        _installed = installed()
        for function in (learner_distributions, packages_distributions, distributions_of, versions):
            function.cache_clear()


def fingerprint(name, shown, code, modules, root=ROOT):
    """L'empreinte (16 caractères) de l'étape name : les textes shown qu'elle exécute ou
    montre, les fichiers que lisent son code et ses modules, les versions, Python."""
    digest = hashlib.sha256(name.encode())
    for text in shown:
        digest.update(text.encode())
    files, others = reads(code, modules, root)
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    for line in versions(frozenset(others)):
        digest.update(line.encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()[:16]
