from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from crmcore import DEFAULT_PIPELINE, HUBSPOT_PIPELINE, Money, Opportunity, Pipeline
from crmcore.analytics import forecast, stage_conversion, weighted_pipeline, win_rate
from crmcore.testing.strategies import opportunities, pipelines

books = (st.sampled_from([DEFAULT_PIPELINE, HUBSPOT_PIPELINE]) | pipelines(max_open=4)).flatmap(
    lambda pipeline: st.lists(
        opportunities(pipeline=pipeline, currency="EUR")
        | opportunities(pipeline=pipeline, currency="JPY"),
        max_size=8,
    )
)


@given(books)
def test_weighted_pipeline_is_the_per_currency_sum_over_open_opportunities(
    book: list[Opportunity],
) -> None:
    expected: dict[str, Fraction] = {}
    for opp in book:
        if opp.is_open:
            expected[opp.amount.currency] = expected.get(opp.amount.currency, Fraction(0)) + (
                Fraction(opp.amount.amount) * Fraction(opp.probability)
            )
    result = weighted_pipeline(book)
    assert result.keys() == expected.keys()
    for currency, exact in expected.items():
        got = Fraction(result[currency].amount)
        if (exact * 10**18).denominator == 1:
            assert got == exact
        else:  # the exact sum, rounded once at the 18th fractional digit
            assert abs(got - exact) <= Fraction(1, 2 * 10**18)
    assert sum(result.counts.values()) == sum(o.is_open for o in book)


@given(books, st.randoms(use_true_random=False))
def test_results_do_not_depend_on_input_order(book: list[Opportunity], rnd: object) -> None:
    shuffled = list(book)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert dict(weighted_pipeline(shuffled)) == dict(weighted_pipeline(book))
    assert forecast(shuffled).rollups == forecast(book).rollups
    assert win_rate(shuffled).by_count == win_rate(book).by_count


@given(books)
def test_rollups_nest(book: list[Opportunity]) -> None:
    rollups = forecast(book).rollups
    for currency, commit in rollups["commit"].items():
        assert rollups["best case"][currency] >= commit
    for currency, closed in rollups["closed"].items():
        assert rollups["commit"][currency] >= closed


@given(pipelines(), st.data())
def test_conversion_rates_are_shares(pipeline: Pipeline, data: st.DataObject) -> None:
    book = data.draw(st.lists(opportunities(pipeline=pipeline), max_size=6))
    for step in stage_conversion(book, pipeline).values():
        assert 0 <= step.advanced <= step.entered <= len(book)
        if step.rate is not None:
            assert 0 <= step.rate <= 1


@given(books)
def test_win_rate_is_a_share(book: list[Opportunity]) -> None:
    result = win_rate(book)
    assert result.won + result.lost == sum(not o.is_open for o in book)
    if result.by_count is not None:
        assert 0 <= result.by_count <= 1
    assert all(isinstance(v, Money) for v in result.won_value.values())
