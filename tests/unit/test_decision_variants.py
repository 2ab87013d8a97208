"""The dev-half comparison of decision fitting rules (eval/decision_variants.py) on small exact
examples: which unanswerable questions bind the customers' threshold, and that every question is
judged once, by a rule fitted without it."""

import numpy as np

from bot.features import FEATURES
from eval import fit_decision as fit
from eval.decision_variants import Variant, choose_thresholds, judged, scores
from eval.fit_decision import Ask, Turn
from kefu.gold import GoldItem


def ask(number: int, persona: str, answerable: bool = True, in_kb: bool = True, features=None, labels=None) -> Ask:
    item = GoldItem(f"q{number}", "问题", persona, "dairy", answerable, "fact", "dev")
    features = np.zeros((0, len(FEATURES))) if features is None else features
    return Ask(item, in_kb, features, np.zeros(len(features), dtype=bool) if labels is None else labels)


def test_customers_unanswerable_asked_with_no_kb_bind_their_threshold_unless_left_out():
    asks = [ask(i, "customer") for i in range(10)] + [ask(10, "customer", answerable=False, in_kb=False), ask(11, "agent")]
    turns = [Turn(True, True, 0.5, True, True)] * 10 + [Turn(False, False, 0.95, False, False), Turn(True, True, 0.5, True, True)]
    assert choose_thresholds(Variant(), asks, turns)["customer"] == 0.96  # the one unanswerable ask is half of them
    assert choose_thresholds(Variant(customers_in_kb_only=True), asks, turns) == {"customer": 0.02, "agent": 0.02}


def test_every_question_is_judged_once_by_a_rule_fitted_without_it():
    rng = np.random.default_rng(0)
    asks = []
    for i in range(40):
        labels = np.zeros(3, dtype=bool)
        labels[0] = i % 4 != 0  # a quarter of the questions have no right candidate
        features = rng.normal(size=(3, len(FEATURES))) + labels[:, None]
        asks.append(ask(i, ("customer", "agent")[i % 2], answerable=bool(labels.any()), features=features, labels=labels))
    out = judged(Variant(), asks, shuffle=0)
    assert sorted(a.item.id for a, _, _ in out) == sorted(a.item.id for a in asks)
    figures = scores(out)
    assert 0.0 <= figures["customer right"] <= 1.0 and figures["customer right"] + figures["customer wrong"] <= 1.0


def test_beta_calibration_bends_the_two_ends_apart_and_keeps_the_order():
    """Data whose low end is over-confident and high end right: Platt's one slope cannot fit both,
    beta's two can; the map stays monotone, so it moves no answer, only the confidence reported."""
    rng = np.random.default_rng(1)
    tops = rng.uniform(0.01, 0.99, 4000)
    truth = np.where(tops < 0.5, tops**2 * 2, tops)  # P(right) at each raw top probability
    turns = [Turn(True, True, float(p), bool(rng.random() < q), True) for p, q in zip(tops, truth)]
    a, b, c = fit.beta(turns)
    assert a > 0 and b > 0 and abs(a - b) > 0.3  # two slopes, not Platt's one
    mapped = [t.top for t in fit.beta_calibrated(sorted(turns, key=lambda t: t.top), a, b, c)]
    assert mapped == sorted(mapped)
    platt_error = fit.calibration(fit.calibrated(turns, *fit.platt(turns)))
    assert fit.calibration(fit.beta_calibrated(turns, a, b, c)) < platt_error
