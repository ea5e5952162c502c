"""L'environnement d'un apprenant dans celui d'un mainteneur : les paquets que seul
requirements-dev.txt installe (pytest, ruff, Playwright…) y deviennent introuvables.

Ce que MLflow déduit comme dépendances d'un modèle dépend de ce qui s'importe en le
rechargeant : skops importe sklearn.utils._testing, qui importe pytest s'il est installé. Les
pages générées montrent ce qu'obtient un apprenant ; les tests vérifient la même chose dans un
vrai environnement fait de requirements.txt seul.
"""

import re
from importlib import metadata

from packaging.requirements import Requirement

from tooling import ROOT

HIDDEN_DIR = ROOT / ".cache" / "learner-env"


def requirement_names(path):
    """Les paquets nommés par un fichier de dépendances (les lignes -r et -e exceptées)."""
    names = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.append(Requirement(line))
    return names


def closure(requirements):
    """Les distributions installées qu'apportent ces exigences, dépendances comprises."""
    seen, todo = set(), [(req.name, frozenset(req.extras)) for req in requirements]
    while todo:
        name, extras = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # une dépendance propre à une autre plateforme
        seen.add(key)
        for text in requires:
            req = Requirement(text)
            if req.marker is None or any(
                req.marker.evaluate({"extra": extra}) for extra in (extras or {""})
            ):
                todo.append((req.name, frozenset(req.extras)))
    return seen


def maintainer_only():
    """Les distributions des mainteneurs qu'un apprenant n'a pas."""
    learner = closure(requirement_names(ROOT / "requirements.txt"))
    return closure(requirement_names(ROOT / "requirements-dev.txt")) - learner


def hidden_modules():
    """Les noms de premier niveau des modules de ces distributions."""
    hidden = maintainer_only()
    modules = metadata.packages_distributions()
    return sorted(
        module
        for module, dists in modules.items()
        if any(re.sub(r"[-_.]+", "-", d).lower() in hidden for d in dists)
    )


SITECUSTOMIZE = '''"""Cache les outils des mainteneurs (tooling/website/maintainer_tools.py)."""
import importlib.metadata
import re
import sys
from importlib.abc import MetaPathFinder

MODULES = set({modules!r})
DISTRIBUTIONS = set({distributions!r})


class HideMaintainerTools(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in MODULES:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None


def visible(distribution):
    name = distribution.metadata["Name"] or ""
    return re.sub(r"[-_.]+", "-", name).lower() not in DISTRIBUTIONS


def hide_distributions(module):
    """MLflow relie chaque import tenté, même manqué, à sa distribution installée : les
    métadonnées des outils des mainteneurs doivent disparaître aussi."""
    discover = module.Distribution.discover.__func__

    def discover_visible(cls, **kwargs):
        return (dist for dist in discover(cls, **kwargs) if visible(dist))

    module.Distribution.discover = classmethod(discover_visible)


sys.meta_path.insert(0, HideMaintainerTools())
hide_distributions(importlib.metadata)
try:
    import importlib_metadata  # la version de PyPI, celle qu'utilise MLflow
except ImportError:
    pass
else:
    hide_distributions(importlib_metadata)
'''


def hiding_path():
    """Un dossier à mettre dans PYTHONPATH : Python y trouve un sitecustomize qui cache les
    outils des mainteneurs, dans ce processus et dans ceux qu'il lance."""
    HIDDEN_DIR.mkdir(parents=True, exist_ok=True)
    text = SITECUSTOMIZE.format(modules=hidden_modules(), distributions=sorted(maintainer_only()))
    path = HIDDEN_DIR / "sitecustomize.py"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return HIDDEN_DIR
