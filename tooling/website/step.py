"""Une étape de la génération : ce qu'elle exécute (une page, un notebook, ou son module seul),
ce qu'elle produit (ses sorties, chacune nommée d'après elle), et comment elle finit (ce
qu'elle tire ensuite du magasin de ses runs). Chaque étape a son module sous
tooling/website/steps/ ; son empreinte vient de ce qu'elle lit (tooling.website.cache_key).
"""

from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from tooling import ROOT
from tooling.sections import python_blocks
from tooling.website import cache_key, runner


@dataclass
class Step:
    name: str
    outputs: list = field(default_factory=list)  # sous le dossier de l'étape, au nom de l'étape
    module: str = None  # le module de l'étape (__name__), sous tooling/website/steps/
    page: str = None  # une page exécutée seule (sous docs/)
    notebook: str = None  # ou un notebook
    execute: bool = False  # le notebook est exécuté de haut en bas
    finish: object = None  # ce que l'étape tire ensuite de son magasin : finish(out, dossier)
    executes: object = None  # ou le code (texte) qu'elle exécute elle-même : executes()
    cost: int = 1  # pour lancer d'abord les plus longues

    @classmethod
    def for_page(cls, name, module, outputs=(), **options):
        """L'étape name de la page <name>.md, exécutée seule : ce qu'affichent ses blocs
        (<name>.txt), puis outputs."""
        page = f"{name}.md"
        return cls(name, [runner.output_name(page), *outputs], module, page=page, **options)

    def shown(self):
        """Les textes que l'étape exécute ou montre : les blocs de sa page, son notebook…"""
        if self.page:
            return ["\n\n".join(python_blocks(ROOT / "docs" / self.page))]
        if self.notebook:
            return [runner.built_notebook(self.notebook)]
        if self.executes:
            return [self.executes()]
        return []

    def code(self, shown):
        """Le Python de ces textes (pour un notebook, ses cellules de code)."""
        if not self.notebook:
            return shown
        cells = nbformat.reads(shown[0], as_version=4).cells
        return [cell.source for cell in cells if cell.cell_type == "code"]

    def reads(self):
        """Les fichiers de snippets/ et de tooling/ que l'étape lit (voir cache_key)."""
        return cache_key.reads(self.code(self.shown()), [self.module])[0]

    def key(self):
        """L'empreinte de ce dont l'étape dépend."""
        shown = self.shown()
        return cache_key.fingerprint(self.name, shown, self.code(shown), [self.module])

    def run_notebook(self, out):
        """Hors des processus de travail : le notebook de l'étape (son noyau est à lui)."""
        runner.run_notebook(self.notebook, Path(out), self.execute)

    def run_in_worker(self, out):
        """Dans un processus de travail : la page de l'étape, puis ce qu'elle tire de son
        magasin."""
        out = Path(out)
        if self.page:
            runner.run_page(self.page, out)
        else:
            runner.as_a_learner(out)
        if self.finish:
            self.finish(out, out / runner.WORKDIR)
