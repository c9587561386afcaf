"""The weighted pipeline plan, run on every engine, equals `weighted_pipeline`
on opportunity books from crmcore's own strategies (open and closed, several
currencies, overridden probabilities), tables loaded in random order."""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crmcore.adapters.engines import run
from crmcore.analytics import weighted_pipeline
from crmcore.analytics.plans import weighted_pipeline_plan
from crmcore.domain.opportunities import Opportunity
from crmcore.testing.strategies import opportunities
from tests.engines.tables import ENGINES, EXAMPLES, close, load


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=max(EXAMPLES // 2, 5))
@given(book=st.lists(opportunities(), max_size=5), rnd=st.data())
def test_weighted_pipeline_plan_equals_weighted_pipeline(
    engine: str, book: list[Opportunity], rnd: st.DataObject
) -> None:
    rows = [(o.amount.amount, o.amount.currency, o.probability, o.is_open) for o in book]
    assume(all(r[0].as_tuple().exponent >= -4 and r[0] < 10**14 for r in rows))  # type: ignore[operator]
    assume(all(r[2].as_tuple().exponent >= -4 for r in rows))  # type: ignore[operator]
    columns = [("amount", "money"), ("currency", "text"), ("p", "probability"), ("open", "boolean")]
    loaded = load(engine, columns, rnd.draw(st.permutations(rows)))
    try:
        plan = weighted_pipeline_plan(
            loaded.table, amount="amount", currency="currency", probability="p", is_open="open"
        )
        got = run(plan, loaded.connection)
    finally:
        close(loaded)
    expected = weighted_pipeline(book)
    assert dict(got) == dict(expected)
    assert list(got) == sorted(expected)
    assert dict(got.unweighted) == dict(expected.unweighted)
    assert dict(got.counts) == dict(expected.counts)
