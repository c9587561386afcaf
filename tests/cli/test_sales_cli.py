"""`crmcore quota` and `crmcore commission`: the worked examples, and located errors."""

# ruff: noqa: E501 (the tables of expected messages are easier to read unwrapped)

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.cli.test_cli import _write, run

QUOTAS = "owner,period,target\nAda,2030-Q1,100000\nBo,2030-Q1,50000\nAda,2030-Q2,100000\n"
DEALS = (
    "deal,owner,won_on,amount\nd1,Ada,2030-01-15,60000\nd2,Ada,2030-03-31,25000\n"
    "d3,Ada,2030-04-01,40000\nd4,Bo,2030-02-01,10000\n"
)
EVENTS = (
    "deal,owner,date,event,amount\n"
    "d1,Ada,2030-01-15,signed,60000\n"
    "d2,Ada,2030-02-01,signed,25000\n"
    "d1,Ada,2030-02-10,payment,60000\n"
    "d3,Bo,2030-03-01,signed,10000\n"
    "d3,Bo,2030-03-02,payment,4000\n"
    "d3,Bo,2030-03-20,refund,4000\n"
    "d3,Bo,2030-03-21,cancellation,\n"
)
TIERS = "50000:0.02,100000:0.04,:0.06"


def test_quota(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    quotas, deals = _write(tmp_path, "quotas.csv", QUOTAS), _write(tmp_path, "deals.csv", DEALS)
    status, out, _ = run(capsys, "quota", quotas, deals, "--currency", "EUR")
    assert status == 0
    assert out.splitlines() == [
        "Quota attainment (EUR)",
        "owner  period   target    won  attained    gap  deals",
        "-----  -------  ------  -----  --------  -----  -----",
        "Ada    2030-Q1  100000  85000    85.0 %  15000      2",
        "Bo     2030-Q1   50000  10000    20.0 %  40000      1",
        "Ada    2030-Q2  100000  40000    40.0 %  60000      1",
    ]
    status, out, _ = run(capsys, "quota", quotas, deals, "--currency", "EUR", "--format", "json")
    first = json.loads(out, parse_float=Decimal)["quotas"][0]
    assert first == {
        "owner": "Ada", "period": "2030-Q1", "target": 100000, "won": 85000,
        "ratio": Decimal("0.85"), "gap": 15000, "deals": 2,
    }  # fmt: skip
    status, out, _ = run(capsys, "quota", quotas, deals, "--currency", "EUR", "--format", "csv")
    assert out.splitlines()[1] == "Ada,2030-Q1,100000,85000,85.0 %,15000,2"


def test_commission_marginal_and_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = _write(tmp_path, "events.csv", EVENTS)
    base = ["commission", events, "--period", "2030-Q1", "--tiers", TIERS, "--currency", "EUR"]
    status, out, _ = run(capsys, *base)
    assert status == 0
    assert out.splitlines() == [
        "Commission for 2030-Q1 (EUR, marginal, on signing)",
        "owner      base  commission",
        "-----  --------  ----------",
        "Ada    85000.00     2400.00",
        "Bo         0.00        0.00",
        "",
        "Lines",
        "owner  deal  date        event             base  commission",
        "-----  ----  ----------  ------------  --------  ----------",
        "Ada    d1    2030-01-15  signed        60000.00     1400.00",
        "Ada    d2    2030-02-01  signed        25000.00     1000.00",
        "Bo     d3    2030-03-01  signed        10000.00      200.00",
        "Bo     d3    2030-03-20  refund        -4000.00      -80.00",
        "Bo     d3    2030-03-21  cancellation  -6000.00     -120.00",
    ]
    status, out, _ = run(capsys, *base, "--mode", "whole", "--format", "json")
    owners = json.loads(out, parse_float=Decimal)["owners"]
    assert owners["Ada"]["commission"] == Decimal("3400.00")
    assert [line["event"] for line in owners["Bo"]["lines"]] == ["signed", "refund", "cancellation"]
    status, out, _ = run(capsys, "commission", events, "--period", "2030-Q1", "--rate", "0.1",
                         "--earned-on", "payment", "--currency", "EUR", "--format", "csv")  # fmt: skip
    assert out.splitlines() == ["owner,base,commission", "Ada,60000.00,6000.00", "Bo,0.00,0.00"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--period", "2030-Q5", "--rate", "0.1"], "--period: expected a period like 2030, 2030-Q1 or 2030-03"),
        (["--period", "2030"], "commission: give --rate or --tiers"),
        (["--period", "2030", "--rate", "0.1", "--tiers", TIERS], "--tiers: not together with --rate; give one of them"),
        (["--period", "2030", "--rate", "1.5"], "--rate: expected a rate from 0 to 1, such as 0.04 for 4 %"),
        (["--period", "2030", "--tiers", "50000:0.02,:x"], "--tiers: expected a rate from 0 to 1, such as 0.04 for 4 %"),
        (["--period", "2030", "--tiers", "50000:0.02"], "--tiers: expected UPPER:RATE,...,:RATE"),
        (["--period", "2030", "--tiers", ":0.02,:0.04"], "--tiers: expected UPPER:RATE,...,:RATE"),
        (["--period", "2030", "--tiers", "50000:0.02,40000:0.03,:0.04"], "--tiers: tier 2 must end above 50000"),
        (["--period", "2030", "--tiers", "x:0.02,:0.04"], "--tiers: tier 1 must end above 0"),
        (["--period", "2030", "--tiers", ",".join(["1:0"] * 51)], "--tiers: at most 50 tiers"),
        (["--period", "2030", "--tiers", "1e30:0.01,:0.02"], "--tiers: tier 1 must end above 0"),
        (["--period", "2030", "--tiers", "1000000000000000000000:0.01,:0.02"], "--tiers: upper: is out of range"),
    ],
)  # fmt: skip
def test_commission_option_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    events = _write(tmp_path, "events.csv", EVENTS)
    status, out, err = run(capsys, "commission", events, "--currency", "EUR", *options)
    assert (status, out) == (2, "")
    assert err.startswith(f"crmcore: {message}"), err


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        ("quotas", "owner,period,target\n", "quotas.csv: no data rows after the header"),
        ("quotas", "owner,period,target\n,2030,1\n", "quotas.csv, line 2, column 'owner': expected an owner, got an empty cell"),
        ("quotas", "owner,period,target\nAda,2030-13,1\n", "quotas.csv, line 2, column 'period': expected a period like 2030, 2030-Q1 or 2030-03"),
        ("quotas", "owner,period,target\nAda,2030,1\nAda,2030,2\n", "quotas.csv, line 3, column 'period': a second quota (the same as on line 2)"),
        ("quotas", "owner,period,target\nAda,2030,-1\n", "quotas.csv, line 2, column 'target': expected a number of 0 or more"),
        ("quotas", "owner,period,target\nAda,2030,10000000000000000000\n", "quotas.csv, line 2, column 'target': amount: has more than 18 digits before the decimal point"),
        ("deals", "deal,owner,won_on,amount\n,Ada,2030-01-01,1\n", "deals.csv, line 2, column 'deal': expected a deal, got an empty cell"),
        ("deals", "deal,owner,won_on,amount\nd1,,2030-01-01,1\n", "deals.csv, line 2, column 'owner': expected a owner, got an empty cell"),
        ("deals", "deal,owner,won_on,amount\nd1,Ada,2030-01-01,1\nd1,Ada,2030-01-01,1\n", "deals.csv, line 3, column 'deal': given twice (the same as on line 2)"),
        ("deals", "deal,owner,won_on,amount\nd1,Ada,January,1\n", "deals.csv, line 2, column 'won_on': expected a date like 2030-01-31"),
        ("deals", "deal,owner,won_on,amount\nd1,Ada,2030-01-01,0\n", "deals.csv, line 2, column 'amount': expected an amount greater than zero"),
    ],
)  # fmt: skip
def test_quota_errors_are_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], file: str, text: str, message: str
) -> None:
    contents = {"quotas": QUOTAS, "deals": DEALS, file: text}
    paths = {name: _write(tmp_path, f"{name}.csv", body) for name, body in contents.items()}
    status, out, err = run(capsys, "quota", paths["quotas"], paths["deals"], "--currency", "EUR")
    assert (status, out) == (2, "")
    assert err.startswith(f"crmcore: {tmp_path!s}/{message}"), err
    assert "Ada" not in err  # cells are the user's data: never echoed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("deal,owner,date,event,amount\n", "events.csv: no data rows after the header"),
        ("deal,owner,date,event,amount\n,Ada,2030-01-01,signed,1\n", "events.csv, line 2, column 'deal': expected a deal, got an empty cell"),
        ("deal,owner,date,event,amount\nd1,,2030-01-01,signed,1\n", "events.csv, line 2, column 'owner': expected an owner, got an empty cell"),
        ("deal,owner,date,event,amount\nd1,Ada,2030-01-01,sold,1\n", "events.csv, line 2, column 'event': expected one of signed, payment, refund, cancellation"),
        ("deal,owner,date,event,amount\nd1,Ada,2030-01-01,payment,1\n", "events.csv, line 2, column 'event': a deal starts with one signed row"),
        ("deal,owner,date,event,amount\nd1,Ada,2030-01-01,signed,1\nd1,Ada,2030-01-01,signed,1\n", "events.csv, line 3, column 'event': signed twice"),
        ("deal,owner,date,event,amount\nd1,Ada,2030-01-01,signed,1\nd1,Ada,2030-01-01,payment,2\n", "events.csv, line 3, column 'amount': amount: is more than the outstanding 1"),
        ("deal,owner,date,event,amount\nd1,Ada,2030-01-01,signed,1\nd1,Ada,2029-01-01,payment,1\n", "events.csv, line 3, column 'date': at: "),
        ("deal,owner,date,event,amount\nd1,Ada,2030-01-01,signed,1\nd1,Ada,2030-01-01,refund,1\n", "events.csv, line 3, column 'amount': amount: is more than the 0 EUR paid"),
        ("deal,owner,date,event,amount\nd1,Ada,2030-01-01,signed,0\n", "events.csv, line 2, column 'amount': amount: must be greater than zero"),
        ("deal,owner,date,event,amount\nd1,Ada,2030-01-01,signed,1\nd1,Ada,2030-01-02,cancellation,\nd1,Ada,2030-01-03,cancellation,\n", "events.csv, line 4, column 'amount': contract 'deal-1' is cancelled; cancel is not allowed"),
    ],
)  # fmt: skip
def test_commission_errors_are_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    events = _write(tmp_path, "events.csv", text)
    status, out, err = run(capsys, "commission", events, "--period", "2030", "--rate", "0.1",
                           "--currency", "EUR")  # fmt: skip
    assert (status, out) == (2, "")
    assert err.startswith(f"crmcore: {tmp_path!s}/{message}"), err
    assert "Ada" not in err
