"""Une extension de Python-Markdown (mkdocs.yml : markdown_extensions) : chaque
{{ version:<paquet> }} des pages devient la version épinglée dans requirements.txt
(tooling.versions). Une extension, et non une hook : tout moteur qui lit le Markdown de Python
la charge, MkDocs comme son successeur.
"""

from markdown import Extension
from markdown.preprocessors import Preprocessor

from tooling import versions


class VersionsPreprocessor(Preprocessor):
    def run(self, lines):
        pins = versions.pinned()
        try:
            return [versions.fill(line, pins) for line in lines]
        except KeyError as error:
            message = f"{{{{ version:… }}}} : paquet inconnu de requirements.txt, {error}"
            raise ValueError(message) from None


class VersionsExtension(Extension):
    def extendMarkdown(self, md):  # noqa: N802 (le nom que Python-Markdown appelle)
        # Après pymdownx.snippets (32) : les fichiers inclus sont remplis aussi ; avant les
        # blocs de code (25) : les titres et le contenu des blocs aussi.
        md.preprocessors.register(VersionsPreprocessor(md), "course_versions", 31)


def makeExtension(**kwargs):  # noqa: N802
    return VersionsExtension(**kwargs)
