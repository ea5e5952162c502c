"""Les outils de l'enseignant, que la page « Serveur de suivi partagé » nomme :
le classement de la classe (python -m snippets.teacher.leaderboard) et la charge d'une
classe sur le serveur (python -m snippets.teacher.class_load)."""
