#!/usr/bin/env bash
# Page « Dépannage » : le diagnostic du poste d'un apprenant, depuis son dossier de travail.

# --8<-- [start:diagnostic]
python -m snippets.diagnostic
# --8<-- [end:diagnostic]
