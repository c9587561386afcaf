"""Analytics results read as mappings, with the views of a dict."""

from crmcore.analytics import abc_classes


def test_a_result_has_the_views_of_its_mapping() -> None:
    result = abc_classes({"a": 80, "b": 15, "c": 5})
    assert list(result) == list(result.keys()) == ["a", "b", "c"]
    assert list(result.values()) == ["A", "B", "C"]
    assert dict(result.items()) == {"a": "A", "b": "B", "c": "C"}
    assert "a" in result
    assert "z" not in result
    assert result.get("z") is None
    assert len(result) == 3
