"""The customs domain: plain Python, standard library only (a test enforces it)."""
