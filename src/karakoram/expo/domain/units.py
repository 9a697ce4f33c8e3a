"""Reference lists of the catalogue that no maintained package carries.

Units of measure are codes of UN/ECE Recommendation 20 (rev. 17). This is a small subset, the
units a trade fair's goods are counted in; the full list has some 2,000 codes and can replace
this one without other change.
"""

from __future__ import annotations

#: Rec 20 code -> English name
REC20_UNITS: dict[str, str] = {
    "KGM": "kilogram",
    "GRM": "gram",
    "TNE": "tonne (metric ton)",
    "LTR": "litre",
    "MLT": "millilitre",
    "MTQ": "cubic metre",
    "MTK": "square metre",
    "MTR": "metre",
    "C62": "one (unit)",
    "H87": "piece",
    "NAR": "number of articles",
    "PR": "pair",
    "DZN": "dozen",
    "SET": "set",
    "KWH": "kilowatt hour",
}

#: the certificates a listing may say it holds
CERTIFICATES: dict[str, str] = {
    "origin": "certificate of origin",
    "preferential_origin": "preferential certificate of origin (under a trade agreement)",
    "phytosanitary": "phytosanitary certificate",
    "veterinary": "veterinary (health) certificate",
    "halal": "halal certificate",
    "conformity": "certificate of conformity (CCC, CE, PSQCA)",
}
