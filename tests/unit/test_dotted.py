from karakoram.domain.declaration.dotted import nest


def test_flat_names_nest_one_level_into_what_is_given() -> None:
    pairs = [("consignor.name", "A"), ("consignor.country", "CN"), ("ucr", "U1"), ("x.y", 1)]
    assert nest(pairs, {"lrn": "L"}) == {
        "lrn": "L",
        "consignor": {"name": "A", "country": "CN"},
        "ucr": "U1",
        "x": {"y": 1},
    }
    assert nest([]) == {}
