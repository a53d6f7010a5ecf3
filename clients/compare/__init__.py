"""`rosetta call` and `rosetta compare`: one operation through the protocols, measured."""
