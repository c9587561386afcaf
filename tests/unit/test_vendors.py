import itertools
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import ValidationError
from crmcore.analytics.vendors import (
    DEFAULT_SCALE,
    MAX_REQUIREMENTS,
    MAX_VENDORS,
    Ability,
    Priority,
    Requirement,
    Scale,
    ScoreLine,
    score_vendors,
)
from crmcore.rendering import vendor_table

OOB, MINOR, MAJOR, NA = (
    Ability.OUT_OF_THE_BOX,
    Ability.MINOR_CUSTOMIZATION,
    Ability.MAJOR_CUSTOMIZATION,
    Ability.NOT_AVAILABLE,
)
REQS = [
    Requirement("Contact management", Priority.HIGH),
    Requirement("ERP integration", "high", must_have=True),
    Requirement("Mobile app", Priority.MEDIUM),
    Requirement("Chat", Priority.LOW),
]
RATINGS: dict[str, dict[str, Any]] = {
    "Alpha": {"Contact management": OOB, "ERP integration": MINOR, "Mobile app": MAJOR, "Chat": NA},
    "Beta": {"Contact management": MINOR, "ERP integration": OOB, "Mobile app": OOB, "Chat": OOB},
    "Gamma": {"Contact management": OOB, "ERP integration": NA, "Mobile app": OOB, "Chat": OOB},
    "Delta": {
        "Contact management": MINOR,
        "ERP integration": "out of the box",
        "Mobile app": OOB,
        "Chat": OOB,
    },
}


def test_points_are_the_sources() -> None:
    assert [p.points for p in Priority] == [3, 2, 1]
    assert [a.points for a in Ability] == [4, 3, 1, 0]


def test_scores_ranks_and_knock_outs() -> None:
    ranking = score_vendors(REQS, RATINGS)
    # Alpha 12+9+2+0=23; Beta 9+12+8+4=33; Delta 33; Gamma 12+0+8+4=24 but fails the must-have
    assert list(ranking) == ["Beta", "Delta", "Alpha", "Gamma"]
    assert [(s.total, s.rank) for s in ranking.values()] == [(33, 1), (33, 1), (23, 3), (24, None)]
    assert ranking.best == ("Beta", "Delta")
    gamma = ranking["Gamma"]
    assert (gamma.qualified, gamma.knocked_out_by) == (False, ("ERP integration",))
    assert ranking["Alpha"].maximum == (3 + 3 + 2 + 1) * 4
    assert ranking["Alpha"].fit == Fraction(23, 36)
    assert ranking["Alpha"].lines[2] == ScoreLine("Mobile app", 2, 1, 2)
    assert len(ranking) == 4
    assert repr(ranking) == "VendorRanking(Beta: 33, Delta: 33, Alpha: 23, Gamma: 24)"


def test_competition_ranking_skips_after_ties() -> None:
    reqs = [Requirement("A", "high")]
    ranking = score_vendors(
        reqs, {"w": {"A": OOB}, "x": {"A": MINOR}, "y": {"A": MINOR}, "z": {"A": NA}}
    )
    assert [ranking[v].rank for v in ranking] == [1, 2, 2, 4]


def test_no_qualified_vendor_means_no_best() -> None:
    reqs = [Requirement("A", "high", must_have=True)]
    ranking = score_vendors(reqs, {"x": {"A": NA}})
    assert ranking.best == ()


def test_every_problem_is_reported_at_once() -> None:
    bad_reqs: list[Any] = [Requirement("A", "high"), Requirement("A", "low"), "B"]
    with pytest.raises(ValidationError) as caught:
        score_vendors(
            bad_reqs,
            {"x": {"A": "perfect", "C": OOB}, "": {"A": OOB}, "y": {}, "z": ["A"]},  # type: ignore[dict-item]
        )
    problems = caught.value.problems
    assert problems == (
        "requirements[2] is a str, not a Requirement",
        "requirement 'A' is listed 2 times",
        "vendor 'x', requirement 'A': 'perfect' is not an Ability "
        "(out of the box, minor customization, major customization, not available)",
        "vendor 'x' rates unknown requirement 'C'",
        "vendor '' is not a name (a non-blank string of at most 200 characters)",
        "vendor 'y' has no rating for 'A' (not rated is not 0)",
        "vendor 'z': ratings must map requirement names to abilities",
    )
    assert "found 7 problems" in str(caught.value)


def test_empty_inputs() -> None:
    with pytest.raises(ValidationError) as caught:
        score_vendors([], {})
    assert caught.value.problems == ("there are no requirements", "there are no vendors")
    with pytest.raises(ValidationError, match="sequence"):
        score_vendors("abc", {})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="mapping"):
        score_vendors(REQS, [("x", {})])  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="Scale"):
        score_vendors(REQS, RATINGS, scale={"high": 3})  # type: ignore[arg-type]


def test_requirement_validation() -> None:
    with pytest.raises(ValidationError) as caught:
        Requirement("", "high")
    assert caught.value.field == "name"
    with pytest.raises(ValidationError) as priority:
        Requirement("A", "urgent")
    assert priority.value.field == "priority"
    with pytest.raises(ValidationError):
        Requirement("A", "high", must_have="yes")  # type: ignore[arg-type]


def test_custom_scales() -> None:
    scale = Scale(
        priorities={Priority.HIGH: 5, Priority.MEDIUM: 3, Priority.LOW: 0},
        abilities={OOB: 10, MINOR: 6, MAJOR: 2, NA: 0},
    )
    ranking = score_vendors(REQS, RATINGS, scale=scale)
    assert ranking["Alpha"].total == 50 + 30 + 6 + 0
    assert ranking["Alpha"].maximum == (5 + 5 + 3 + 0) * 10
    zero = score_vendors([Requirement("Chat", "low")], {"x": {"Chat": OOB}}, scale=scale)
    assert zero["x"].fit is None
    assert scale == Scale(priorities=dict(scale.priorities), abilities=dict(scale.abilities))
    assert hash(scale) == hash(
        Scale(priorities=dict(scale.priorities), abilities=dict(scale.abilities))
    )
    assert scale != DEFAULT_SCALE
    assert scale != "scale"


@pytest.mark.parametrize(
    ("priorities", "abilities", "field"),
    [
        ({Priority.HIGH: 3}, DEFAULT_SCALE.abilities, "priorities"),
        (
            {Priority.HIGH: -1, Priority.MEDIUM: 2, Priority.LOW: 1},
            DEFAULT_SCALE.abilities,
            "priorities",
        ),
        (
            {Priority.HIGH: 1.5, Priority.MEDIUM: 2, Priority.LOW: 1},
            DEFAULT_SCALE.abilities,
            "priorities",
        ),
        (
            {Priority.HIGH: 0, Priority.MEDIUM: 0, Priority.LOW: 0},
            DEFAULT_SCALE.abilities,
            "priorities",
        ),
        (DEFAULT_SCALE.priorities, dict.fromkeys(Ability, 0), "abilities"),
        (DEFAULT_SCALE.priorities, "4,3,1,0", "abilities"),
    ],
)
def test_bad_scales(priorities: Any, abilities: Any, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Scale(priorities=priorities, abilities=abilities)
    assert caught.value.field == field


def test_explain_and_compare() -> None:
    ranking = score_vendors(REQS, RATINGS)
    text = ranking.explain("Alpha")
    assert text.splitlines()[0] == "Alpha: rank 3, fit 63.9 %"
    assert "23 of 36" in text.splitlines()[-1]
    assert (
        ranking.explain("Gamma").splitlines()[0]
        == "Gamma: not qualified: fails must-have ERP integration"
    )
    comparison = ranking.compare("Beta", "Alpha")
    assert comparison.difference == 10
    assert comparison.lines[0] == ("Contact management", 9, 12, -3)
    assert str(comparison).splitlines()[-1].split() == ["total", "+10"]
    with pytest.raises(ValidationError, match="not in this ranking"):
        ranking.explain("Omega")


def test_what_if_leaves_the_original_alone() -> None:
    ranking = score_vendors(REQS, RATINGS)
    changed = ranking.what_if(priorities={"Chat": "high"}, ratings={"Alpha": {"Chat": OOB}})
    assert changed["Alpha"].total == 23 + 12
    assert ranking["Alpha"].total == 23
    assert ranking.what_if() == ranking
    with pytest.raises(ValidationError, match="unknown requirements"):
        ranking.what_if(priorities={"Nope": "high"})
    with pytest.raises(ValidationError, match="unknown vendor"):
        ranking.what_if(ratings={"Omega": {"Chat": OOB}})
    assert ranking != "ranking"


def test_flip_points() -> None:
    reqs = [Requirement("A", "high"), Requirement("B", "low"), Requirement("C", "medium")]
    ratings: dict[str, dict[str, Any]] = {
        "a": {"A": OOB, "B": NA, "C": MINOR},  # 12 + 0 + 6 = 18
        "b": {"A": MAJOR, "B": OOB, "C": MINOR},  # 3 + 4 + 6 = 13
    }
    flips = score_vendors(reqs, ratings).flip_points("a", "b")
    # gap 5; A: slope 3 -> lower A by ceil(5/3) = 2 points (3 -> 1);
    # B: slope -4 -> raise by 2; C: no effect
    assert (flips["A"].change, flips["A"].new_points) == (-2, 1)
    assert (flips["B"].change, flips["B"].new_points) == (2, 3)
    assert (flips["C"].change, flips["C"].new_points) == (None, None)
    assert score_vendors(reqs, ratings).flip_points("b", "a")["A"].change == 0
    wide = {"a": {"A": OOB, "B": OOB, "C": OOB}, "b": {"A": NA, "B": NA, "C": MAJOR}}
    assert score_vendors(reqs, wide).flip_points("a", "b")["B"].change is None  # cannot go below 0


def test_leave_one_out() -> None:
    ranking = score_vendors(REQS, RATINGS)
    result = ranking.leave_one_out()
    assert set(result) == {r.name for r in REQS}
    without_erp = result["ERP integration"]
    assert without_erp.ranking is not None
    assert without_erp.ranking.best == ("Gamma",)  # the knock-out is gone and Gamma leads
    assert without_erp.winner_changed
    assert not result["Contact management"].winner_changed
    single = score_vendors([Requirement("A", "high")], {"x": {"A": OOB}}).leave_one_out()
    assert (single["A"].ranking, single["A"].winner_changed) == (None, None)


@st.composite
def _rankings(draw: st.DrawFn) -> Any:
    names = [f"r{i}" for i in range(draw(st.integers(1, 6)))]
    requirements = [
        Requirement(name, draw(st.sampled_from(Priority)), must_have=draw(st.booleans()))
        for name in names
    ]
    vendors = draw(st.lists(st.sampled_from("abcdefg"), min_size=1, max_size=6, unique=True))
    ratings = {v: {n: draw(st.sampled_from(Ability)) for n in names} for v in vendors}
    return score_vendors(requirements, ratings)


@given(ranking=_rankings())
def test_leave_one_out_agrees_with_scoring_without_the_requirement(ranking: Any) -> None:
    """The linear shortcut (totals minus one line, knock-outs lifted) gives the
    winners that scoring the ranking again without the requirement gives."""
    for requirement in ranking.requirements:
        entry = ranking.leave_one_out()[requirement.name]
        rest = [r for r in ranking.requirements if r is not requirement]
        if not rest:
            assert (entry.best, entry.ranking, entry.winner_changed) == (None, None, None)
            continue
        again = score_vendors(
            rest,
            {
                v: {n: a for n, a in r.items() if n != requirement.name}
                for v, r in ranking.ratings.items()
            },
        )
        assert entry.ranking == again
        assert entry.best == again.best
        assert entry.winner_changed == (set(again.best) != set(ranking.best))


def test_leave_one_out_is_linear_in_requirements_times_vendors() -> None:
    """4,000 requirements x 10 vendors (149 s when every entry was scored
    again): the entries hold only the winners; rankings are scored when read."""
    requirements = [Requirement(f"r{i}", "high") for i in range(4_000)]
    ratings = {
        f"v{j}": {f"r{i}": OOB if (i + j) % 3 else NA for i in range(4_000)} for j in range(10)
    }
    result = score_vendors(requirements, ratings).leave_one_out()
    assert len(result) == 4_000
    # v1, v2, v4, v5, v7, v8 lead by one line; r5 is a zero line only for v1, v4, v7.
    assert score_vendors(requirements, ratings).best == ("v1", "v2", "v4", "v5", "v7", "v8")
    assert result["r5"].best == ("v1", "v4", "v7")
    assert result["r5"].winner_changed


def test_to_table_fits_a_handout() -> None:
    text = vendor_table(score_vendors(REQS, RATINGS))
    lines = text.splitlines()
    assert lines[0].split() == ["vendor", "R1", "R2", "R3", "R4", "total", "fit", "rank"]
    assert lines[2].split() == ["Beta", "9", "12", "8", "4", "33", "91.7", "%", "1"]
    assert lines[5].split()[-1] == "out"
    assert "R2: ERP integration (high, 3 points, must have)" in text
    assert all(len(line) <= 80 for line in lines)


def test_oversized_inputs_are_refused_up_front() -> None:
    endless = itertools.repeat(Requirement("A", "high"))
    with pytest.raises(ValidationError, match="too many entries"):
        score_vendors(endless, {"x": {}})
    crowd = {f"v{i}": {"A": OOB} for i in range(10_001)}
    with pytest.raises(ValidationError, match="too many vendors"):
        score_vendors([Requirement("A", "high")], crowd)


def test_table_shows_a_dash_for_an_undefined_fit() -> None:
    scale = Scale(
        priorities={Priority.HIGH: 1, Priority.MEDIUM: 1, Priority.LOW: 0},
        abilities={OOB: 1, MINOR: 1, MAJOR: 1, NA: 0},
    )
    table = vendor_table(score_vendors([Requirement("A", "low")], {"x": {"A": OOB}}, scale=scale))
    assert table.splitlines()[2].split() == ["x", "0", "0", "-", "1"]


def test_explain_and_compare_print_every_cell() -> None:
    ranking = score_vendors(REQS, RATINGS)
    assert ranking.explain("Alpha").splitlines()[1:] == [
        "requirement         priority  ability     value",
        "------------------  --------  -------  --------",
        "Contact management         3        4        12",
        "ERP integration            3        3         9",
        "Mobile app                 2        1         2",
        "Chat                       1        0         0",
        "total                                  23 of 36",
    ]
    assert str(ranking.compare("Beta", "Alpha")).splitlines() == [
        "requirement         Beta  Alpha  difference",
        "------------------  ----  -----  ----------",
        "Contact management     9     12          -3",
        "ERP integration       12      9          +3",
        "Mobile app             8      2          +6",
        "Chat                   4      0          +4",
        "total                                   +10",
    ]


def test_what_if_and_leave_one_out_keep_the_rankings_scale() -> None:
    priorities = {Priority.HIGH: 5, Priority.MEDIUM: 2, Priority.LOW: 1}
    scale = Scale(priorities=priorities, abilities=dict(DEFAULT_SCALE.abilities))
    ranking = score_vendors(REQS, RATINGS, scale=scale)
    assert ranking["Alpha"].total == 5 * 4 + 5 * 3 + 2 * 1 + 1 * 0
    assert ranking.what_if().scale == scale
    assert ranking.what_if(ratings={"Alpha": {"Chat": OOB}})["Alpha"].total == 37 + 4
    left = ranking.leave_one_out()["Chat"]
    assert left.requirement == "Chat"
    assert left.ranking is not None
    assert left.ranking.scale == scale
    assert left.ranking["Alpha"].total == 37
    assert scale != DEFAULT_SCALE
    assert hash(scale) == hash(Scale(priorities=priorities, abilities=DEFAULT_SCALE.abilities))
    assert hash(scale) != hash(DEFAULT_SCALE)
    same_priorities = Scale(
        priorities=priorities, abilities={**DEFAULT_SCALE.abilities, Ability.NOT_AVAILABLE: 1}
    )
    assert same_priorities != scale


def test_problems_after_a_bad_vendor_or_an_unknown_requirement_are_reported_too() -> None:
    reqs = [Requirement("A", "high")]
    with pytest.raises(ValidationError) as caught:
        score_vendors(reqs, {"z": ["A"], "x": {"C": OOB, "A": "perfect"}})  # type: ignore[dict-item]
    assert caught.value.problems == (
        "vendor 'z': ratings must map requirement names to abilities",
        "vendor 'x' rates unknown requirement 'C'",
        "vendor 'x', requirement 'A': 'perfect' is not an Ability "
        "(out of the box, minor customization, major customization, not available)",
    )


def test_size_limits_are_inclusive() -> None:
    reqs = [Requirement("A", "high")]
    longest = "v" * 200
    assert list(score_vendors(reqs, {longest: {"A": OOB}})) == [longest]
    with pytest.raises(ValidationError, match="at most 200 characters"):
        score_vendors(reqs, {longest + "v": {"A": OOB}})
    many = {f"v{i}": {"A": OOB} for i in range(MAX_VENDORS)}
    assert len(score_vendors(reqs, many)) == MAX_VENDORS
    with pytest.raises(ValidationError, match="too many vendors"):
        score_vendors(reqs, {**many, "one more": {"A": OOB}})
    names = [Requirement(f"r{i}", "low") for i in range(MAX_REQUIREMENTS)]
    assert len(score_vendors(names, {"v": {r.name: NA for r in names}}).requirements) == (
        MAX_REQUIREMENTS
    )
    with pytest.raises(ValidationError, match="too many entries"):
        score_vendors([*names, Requirement("one more", "low")], {"v": {}})


def test_vendors_that_fail_a_must_have_follow_by_score_then_name() -> None:
    reqs = [Requirement("A", "high", must_have=True), Requirement("B", "low")]
    ranking = score_vendors(
        reqs,
        {
            "a-low": {"A": NA, "B": NA},
            "b-high": {"A": NA, "B": OOB},
            "c-high": {"A": NA, "B": OOB},
            "d-ok": {"A": MAJOR, "B": NA},
        },
    )
    assert list(ranking) == ["d-ok", "b-high", "c-high", "a-low"]


def test_leave_one_out_looks_past_vendors_knocked_out_by_another_must_have() -> None:
    requirements = [
        Requirement("R1", "high", must_have=True),
        Requirement("R2", "high", must_have=True),
        Requirement("R3", "low"),
    ]
    ratings = {
        "B": {"R1": OOB, "R2": NA, "R3": OOB},  # 16, fails R2: not lifted by leaving R1 out
        "A": {"R1": NA, "R2": OOB, "R3": MINOR},  # 15, fails R1 only
        "C": {"R1": OOB, "R2": OOB, "R3": NA},  # 24, qualified
    }
    ranking = score_vendors(requirements, ratings)
    assert ranking.best == ("C",)
    without_r1 = ranking.leave_one_out()["R1"]
    # without R1: A 12 + 3 = 15 beats C 12 + 0; B still fails R2
    assert (without_r1.best, without_r1.winner_changed) == (("A",), True)
