"""Fusion functions against hand-computed numbers."""

import pytest

from bot.retrieve.fuse import min_max, rrf, score_fusion, top


def test_rrf_sums_weighted_reciprocal_ranks():
    fused = rrf([[7, 3], [3, 9]], weights=[1.0, 2.0], k=60)
    assert fused[7] == pytest.approx(1 / 61)
    assert fused[3] == pytest.approx(1 / 62 + 2 / 61)
    assert fused[9] == pytest.approx(2 / 62)


def test_rrf_needs_one_weight_per_ranking():
    with pytest.raises(ValueError, match="one weight per ranking"):
        rrf([[1]], weights=[1.0, 1.0])


def test_min_max_scales_to_unit_interval():
    assert min_max({1: 2.0, 2: 4.0, 3: 3.0}) == {1: 0.0, 2: 1.0, 3: 0.5}
    assert min_max({5: 0.7}) == {5: 1.0}
    assert min_max({}) == {}


def test_score_fusion_weights_normalised_scores():
    fused = score_fusion([{1: 10.0, 2: 0.0}, {2: 0.9, 3: 0.5}], weights=[1.0, 0.5])
    assert fused == pytest.approx({1: 1.0, 2: 0.5, 3: 0.0})


def test_top_breaks_ties_by_id():
    assert top({4: 0.5, 2: 0.5, 9: 0.9}, 2) == [(9, 0.9), (2, 0.5)]
