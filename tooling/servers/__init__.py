"""De vrais processus sur 127.0.0.1, pour la génération, les mesures et les tests : ports,
environnement d'un terminal d'apprenant, serveurs MLflow et PostgreSQL (processes) ; le serveur
de la page « Serveur de suivi partagé », lancé par les commandes mêmes de la page
(page_server)."""
