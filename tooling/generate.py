"""La commande de la génération du matériel du site (tooling.website.generation), à lancer seule
ou laissée à la hook de MkDocs (hooks/real_runs.py) :

    python -m tooling.generate [--placeholders]
"""

from tooling.website.generation import main

if __name__ == "__main__":
    main()
