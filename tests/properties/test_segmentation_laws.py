import datetime as dt
from fractions import Fraction
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crmcore import Money
from crmcore.analytics import Transaction, rfm
from crmcore.analytics.segmentation import abc_classes, gini, pareto

values = st.dictionaries(
    st.text(min_size=1, max_size=4), st.integers(min_value=0, max_value=1000), max_size=30
)
cuts = st.lists(
    st.fractions(min_value=Fraction(1, 100), max_value=1, max_denominator=100),
    min_size=1,
    max_size=4,
    unique=True,
).map(lambda c: tuple(sorted(c)))
boundaries = st.sampled_from(["covering", "inclusive"])


@given(values, cuts, boundaries)
def test_classes_partition_and_ties_share(v: dict[str, int], t: Any, b: Any) -> None:
    result = abc_classes(v, thresholds=t, boundary=b)
    assert set(result) == set(v)
    assert sum(c.count for c in result.classes.values()) == len(v)
    for x in v:
        for y in v:
            if v[x] == v[y]:
                assert result[x] == result[y]
            if v[x] > v[y]:
                assert result[x] <= result[y]  # a larger value never gets a worse class


@given(values, cuts, boundaries, st.randoms(use_true_random=False), st.integers(1, 50))
def test_order_and_scale_do_not_matter(v: dict[str, int], t: Any, b: Any, rnd: Any, k: int) -> None:
    items = list(v.items())
    rnd.shuffle(items)
    base = dict(abc_classes(v, thresholds=t, boundary=b))
    assert dict(abc_classes(dict(items), thresholds=t, boundary=b)) == base
    assert dict(abc_classes({x: n * k for x, n in v.items()}, thresholds=t, boundary=b)) == base


@given(values, cuts, boundaries)
def test_cumulative_shares_respect_the_thresholds(v: dict[str, int], t: Any, b: Any) -> None:
    result = abc_classes(v, thresholds=t, boundary=b)
    total = sum(v.values())
    if total == 0:
        return
    labels = sorted(result.classes)
    for i, threshold in enumerate(t):
        held = sum(n for x, n in v.items() if result[x] <= labels[i])
        if b == "covering":
            assert Fraction(held, total) >= threshold
        else:
            assert Fraction(held, total) <= threshold


@given(values, st.fractions(min_value=Fraction(1, 100), max_value=1, max_denominator=100))
def test_pareto_is_class_a_of_the_covering_rule(v: dict[str, int], share: Fraction) -> None:
    result = pareto(v, share=share)
    classes = abc_classes(v, thresholds=(share,), boundary="covering")
    assert result.vital_few == {x for x, label in classes.items() if label == "A"}
    assert result.trivial_many == {x for x, label in classes.items() if label != "A"}
    assert result.customer_share == classes.classes["A"].customer_share
    assert result.value_share == classes.classes["A"].value_share


@given(values)
def test_gini_is_in_zero_one(v: dict[str, int]) -> None:
    g = gini(v)
    if not v:
        assert g is None
        return
    assert g is not None
    assert 0 <= g < 1
    assert gini(dict.fromkeys(v, 7)) == 0


purchases = st.lists(
    st.builds(
        lambda c, d, a: Transaction(c, d, Money.of(a, "EUR")),
        st.sampled_from("abcdefg"),
        st.dates(min_value=dt.date(2030, 1, 1), max_value=dt.date(2030, 12, 31)),
        st.integers(min_value=0, max_value=500),
    ),
    max_size=40,
)


@given(purchases, st.integers(1, 7), st.randoms(use_true_random=False))
def test_rfm_scores_ignore_order_and_ties_share(
    transactions: list[Transaction], bins: int, rnd: Any
) -> None:
    as_of = dt.date(2030, 10, 1)
    shuffled = list(transactions)
    rnd.shuffle(shuffled)
    a = rfm(transactions, as_of=as_of, bins=bins)
    b = rfm(shuffled, as_of=as_of, bins=bins)
    assert dict(a) == dict(b)
    for x in a.values():
        assert 1 <= x.r <= bins
        assert 1 <= x.f <= bins
        for y in a.values():
            if x.recency_days == y.recency_days:
                assert x.r == y.r
            if x.recency_days < y.recency_days:
                assert x.r >= y.r
            if x.monetary > y.monetary:
                assert x.m >= y.m
