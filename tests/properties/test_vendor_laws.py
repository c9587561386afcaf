from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crmcore.analytics.vendors import Ability, Priority, Requirement, VendorRanking, score_vendors

_ORDER = list(Ability)


@st.composite
def problems(draw: st.DrawFn) -> tuple[list[Requirement], dict[str, dict[str, Ability]]]:
    names = draw(st.lists(st.sampled_from("ABCDEFGH"), min_size=1, max_size=6, unique=True))
    requirements = [
        Requirement(n, draw(st.sampled_from(Priority)), must_have=draw(st.booleans()))
        for n in names
    ]
    vendors = draw(st.lists(st.sampled_from("uvwxyz"), min_size=1, max_size=5, unique=True))
    ratings = {v: {n: draw(st.sampled_from(Ability)) for n in names} for v in vendors}
    return requirements, ratings


@given(problems())
def test_totals_are_sums_of_lines_within_the_maximum(case: Any) -> None:
    ranking = score_vendors(*case)
    for score in ranking.values():
        assert score.total == sum(line.value for line in score.lines)
        assert 0 <= score.total <= score.maximum
        assert all(line.value == line.priority_points * line.ability_points for line in score.lines)


@given(problems(), st.randoms(use_true_random=False))
def test_ranking_ignores_input_order(case: Any, rnd: Any) -> None:
    requirements, ratings = case
    vendors = list(ratings.items())
    rnd.shuffle(vendors)
    shuffled = list(requirements)
    rnd.shuffle(shuffled)
    a, b = score_vendors(requirements, ratings), score_vendors(shuffled, dict(vendors))
    assert list(a) == list(b)
    assert {v: (s.total, s.rank) for v, s in a.items()} == {
        v: (s.total, s.rank) for v, s in b.items()
    }


@given(problems(), st.data())
def test_raising_one_ability_never_hurts_that_vendor(case: Any, data: st.DataObject) -> None:
    requirements, ratings = case
    vendor = data.draw(st.sampled_from(sorted(ratings)))
    name = data.draw(st.sampled_from([r.name for r in requirements]))
    current = ratings[vendor][name]
    better = data.draw(st.sampled_from(_ORDER[: _ORDER.index(current) + 1]))
    before = score_vendors(requirements, ratings)
    after = before.what_if(ratings={vendor: {name: better}})
    assert after[vendor].total >= before[vendor].total
    for other in ratings:
        if other != vendor:
            assert after[other].total == before[other].total
            if before[vendor].qualified and before[other].rank is not None:
                was_ahead = before[other].total > before[vendor].total
                assert (after[other].total > after[vendor].total) <= was_ahead


@given(problems())
def test_ties_share_a_rank_and_the_next_rank_skips(case: Any) -> None:
    ranking = score_vendors(*case)
    qualified = [s for s in ranking.values() if s.qualified]
    for position, score in enumerate(qualified):
        better = sum(1 for s in qualified if s.total > score.total)
        assert score.rank == better + 1
        assert position == 0 or qualified[position - 1].total >= score.total


@given(problems())
def test_all_out_of_the_box_has_fit_one(case: Any) -> None:
    requirements, ratings = case
    perfect = {"perfect": {r.name: Ability.OUT_OF_THE_BOX for r in requirements}}
    assert score_vendors(requirements, ratings | perfect)["perfect"].fit == 1


@given(problems())
def test_what_if_without_changes_is_equal(case: Any) -> None:
    ranking = score_vendors(*case)
    assert isinstance(ranking.what_if(), VendorRanking)
    assert ranking.what_if() == ranking


@given(problems(), st.data())
def test_flip_points_are_the_smallest_change_that_lets_b_catch_up(
    case: Any, data: st.DataObject
) -> None:
    requirements, ratings = case
    a = data.draw(st.sampled_from(sorted(ratings)))
    b = data.draw(st.sampled_from(sorted(ratings)))
    ranking = score_vendors(requirements, ratings)
    gap = ranking[a].total - ranking[b].total
    flips = ranking.flip_points(a, b)
    assert list(flips) == [r.name for r in requirements]
    for x, y in zip(ranking[a].lines, ranking[b].lines, strict=True):
        slope = x.ability_points - y.ability_points
        # every change that keeps the points non-negative and closes the gap
        # (|change| <= |gap| is enough: a slope is at least 1 in size)
        closing = [d for d in range(-x.priority_points, abs(gap) + 1) if gap + d * slope <= 0]
        expected = min(closing, key=abs) if closing else None
        flip = flips[x.requirement]
        assert (flip.requirement, flip.change) == (x.requirement, expected)
        assert flip.new_points == (None if expected is None else x.priority_points + expected)
