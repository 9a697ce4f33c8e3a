"""Risk: rule sets as data, compiled for speed, with selectivity and built-in detectors."""
