"""Le code du cours : chaque module est inclus dans les pages par sections nommées."""
