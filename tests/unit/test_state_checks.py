"""Under the test suite, every state a command builds passes the constructor's checks."""

import pendulum
import pytest

from crmcore import Customer, LifecyclePhase, ValidationError


def test_a_state_that_breaks_an_invariant_is_caught_in_tests() -> None:
    customer = Customer.prospect(
        customer_id="c-1", name="A", at=pendulum.datetime(2030, 1, 1, tz="UTC")
    )
    # CONTRACT without an open contract breaks Customer's invariant; the hook in
    # conftest.py rebuilds every new state through the constructor.
    with pytest.raises(ValidationError) as caught:
        customer._replaced(phase=LifecyclePhase.CONTRACT)
    assert caught.value.field == "open_contracts"
