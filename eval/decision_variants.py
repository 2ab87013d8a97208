"""Compare ways of fitting the decision, on the gold set's dev half only (never the test half).

    .venv/bin/python -m eval.decision_variants [--shuffles 3] [NAME ...]

Each variant is a whole fitting rule (eval.fit_decision's model, a calibration, the per-persona
answer thresholds). It is fitted on four fifths of the dev questions, its inner cross-validation
included, and judged on the fifth it never saw; every dev question is judged once per shuffle of
the questions into fifths, and the figures are the mean (± standard deviation) over the shuffles.
So the thresholds' own noise counts against a rule, as it would on a new half. Prints one line
per variant: customers' and agents' right and wrong answers (asked in their kb), unanswerable
questions answered in their kb and with no kb, the calibration error in kb, the mean thresholds.
"""

import argparse
from dataclasses import dataclass, replace

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler

from bot.assemble import open_bot
from bot.decision import neutral_model
from bot.features import FEATURES
from eval import fit_decision as fit
from kefu.gold import gold_file, load_gold
from kefu.settings import load_settings

C = 0.3  # the regularisation eval.fit_decision chose on the whole dev half


@dataclass(frozen=True)
class Variant:
    calibrator: str = "platt"  # none | platt | beta | isotonic, fitted on out-of-fold top probabilities
    per_persona: bool = False  # one calibration per persona
    per_scope: bool = False  # one calibration for the asks in a kb, one for those in every kb
    repeats: int = 1  # shuffles of the inner cross-validation whose pooled rates choose the thresholds
    first_day: bool = False  # also fitted on the questions asked with the associated questions left out
    extra: str = ""  # features tried beside bot.features': without_several_kbs | persona_interactions | no_question
    rows: str = "logistic"  # the row model: logistic | boosted (gradient-boosted trees)
    customers_in_kb_only: bool = False  # customers' threshold bound by their unanswerable questions asked in a kb only (a widget always has one)


VARIANTS = {
    "Platt shared, thresholds from one CV (shipped until beta)": Variant(),
    "before issue 16: without several_kbs": Variant(extra="without_several_kbs"),
    "thresholds from 10 pooled repeated CVs": Variant(repeats=10),
    "without several_kbs, thresholds from 10 pooled repeated CVs": Variant(repeats=10, extra="without_several_kbs"),
    "no calibration": Variant(calibrator="none"),
    "Platt per persona": Variant(per_persona=True),
    "beta, shared": Variant(calibrator="beta"),
    "shipped: beta per persona, thresholds from one CV": Variant(calibrator="beta", per_persona=True),
    "isotonic, shared": Variant(calibrator="isotonic"),
    "isotonic per persona": Variant(calibrator="isotonic", per_persona=True),
    "customers' unanswerable budget in kb only": Variant(customers_in_kb_only=True),
    "+ features: each feature times agent": Variant(extra="persona_interactions"),
    "beta per persona and per scope (in a kb / every kb)": Variant(calibrator="beta", per_persona=True, per_scope=True),
    "boosted trees, beta per persona": Variant(calibrator="beta", per_persona=True, rows="boosted"),
    "first-day rows (--first-day)": Variant(first_day=True),
    "first-day rows + feature: no associated question": Variant(first_day=True, extra="no_question"),
}


def features_of(ask: fit.Ask, extra: str) -> np.ndarray:
    x = ask.features
    if extra == "without_several_kbs":
        return np.delete(x, FEATURES.index("several_kbs"), axis=1)
    if extra == "persona_interactions":
        return np.hstack([x, x * x[:, [FEATURES.index("agent")]]])
    if extra == "no_question":
        return np.hstack([x, x[:, [FEATURES.index("question_cosine")]] == 0])
    return x


def fit_model(asks: list[fit.Ask], extra: str, rows: str = "logistic"):
    """The row model fitted on `asks`: a function from asks to their candidates' probabilities."""
    x = np.vstack([features_of(a, extra) for a in asks])
    y = np.concatenate([a.labels for a in asks])
    if rows == "boosted":
        scaler = StandardScaler().fit(x)
        model = HistGradientBoostingClassifier(max_depth=3, learning_rate=0.05, max_iter=200, l2_regularization=1.0, random_state=0).fit(scaler.transform(x), y)
    else:
        scaler, model = fit.fit(x, y, C)
    return lambda held: [model.predict_proba(scaler.transform(features_of(a, extra)))[:, 1] if len(a.labels) else np.array([]) for a in held]


def out_of_fold(asks: list[fit.Ask], extra: str, seed: int, trained=lambda a: True, rows: str = "logistic") -> list[np.ndarray]:
    """Each ask's probabilities from a model that never saw its question (fitted on the `trained` asks)."""
    groups = [a.item.id for a in asks]
    probabilities: list[np.ndarray] = [np.array([])] * len(asks)
    for train, held in GroupKFold(n_splits=fit.FOLDS, shuffle=True, random_state=seed).split(asks, groups=groups):
        predict = fit_model([asks[i] for i in train if trained(asks[i])], extra, rows)
        for i, p in zip(held, predict([asks[i] for i in held])):
            probabilities[i] = p
    return probabilities


def fit_calibrator(kind: str, turns: list[fit.Turn]):
    """A monotone map of the top candidate's probability to that it answers, turn by turn."""
    if kind == "platt":
        a, b = fit.platt(turns)
        return lambda held: fit.calibrated(held, a, b)
    if kind == "beta":
        a, b, c = fit.beta(turns)
        return lambda held: fit.beta_calibrated(held, a, b, c)
    if kind == "isotonic":
        y = [t.answerable and t.top_right for t in turns]
        model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit([t.top for t in turns], y)
        return lambda held: [replace(t, top=float(p)) for t, p in zip(held, model.predict([t.top for t in held]))] if held else []
    return lambda held: held


def calibrate(variant: Variant, asks: list[fit.Ask], turns: list[fit.Turn]):
    """Per persona (or shared) calibration, fitted on the out-of-fold turns of the kbs as they are."""
    def key(ask: fit.Ask) -> tuple:
        return (ask.item.persona if variant.per_persona else None, ask.in_kb if variant.per_scope else None)

    maps = {k: fit_calibrator(variant.calibrator, [t for t, a in zip(turns, asks) if not a.first_day and key(a) == k]) for k in {key(a) for a in asks}}

    def mapping(held_asks: list[fit.Ask], held_turns: list[fit.Turn]) -> list[fit.Turn]:
        return [maps[key(a)]([t])[0] for a, t in zip(held_asks, held_turns)]

    return mapping


def fit_rule(variant: Variant, asks: list[fit.Ask], seed: int):
    """The variant fitted on `asks` alone: its model, its calibration and its thresholds."""
    trained = (lambda a: True) if variant.first_day else (lambda a: not a.first_day)
    raws = [fit.turns(asks, out_of_fold(asks, variant.extra, seed + r, trained, variant.rows), rerank=False) for r in range(variant.repeats)]
    pooled_asks = asks * variant.repeats  # pooled turns: each threshold's rates are the mean over the repeats
    mapping = calibrate(variant, pooled_asks, [t for raw in raws for t in raw])
    thresholds = choose_thresholds(variant, pooled_asks, mapping(pooled_asks, [t for raw in raws for t in raw]))
    return fit_model([a for a in asks if trained(a)], variant.extra, variant.rows), mapping, thresholds


def choose_thresholds(variant: Variant, asks: list[fit.Ask], turns: list[fit.Turn]) -> dict[str, float]:
    kept = [(a, t) for a, t in zip(asks, turns) if not variant.customers_in_kb_only or a.item.persona != "customer" or t.in_kb or t.answerable]
    return fit.persona_thresholds([a for a, t in kept], [t for a, t in kept])


def judged(variant: Variant, asks: list[fit.Ask], shuffle: int) -> list[tuple[fit.Ask, fit.Turn, float]]:
    """Every ask with the turn and threshold of the rule fitted without its question."""
    out = []
    groups = [a.item.id for a in asks]
    for train, held in GroupKFold(n_splits=fit.FOLDS, shuffle=True, random_state=1000 + shuffle).split(asks, groups=groups):
        predict, mapping, thresholds = fit_rule(variant, [asks[i] for i in train], seed=100 * shuffle)
        held_asks = [asks[i] for i in held]
        turns = mapping(held_asks, fit.turns(held_asks, predict(held_asks), rerank=False))
        out += [(a, t, thresholds[a.item.persona]) for a, t in zip(held_asks, turns)]
    return out


def mean(values: list) -> float:
    return sum(values) / len(values) if values else 0.0  # a group the half lacks counts 0


def scores(judged_: list[tuple[fit.Ask, fit.Turn, float]]) -> dict[str, float]:
    usual = [(a, t, th) for a, t, th in judged_ if not a.first_day]
    out = {}
    for persona in ("customer", "agent"):
        mine = [(t, th) for a, t, th in usual if a.item.persona == persona and t.answerable and t.in_kb]
        out[f"{persona} right"] = mean([t.top_right and t.top >= th for t, th in mine])
        out[f"{persona} wrong"] = mean([not t.top_right and t.top >= th for t, th in mine])
    for where, in_kb in (("in kb", True), ("no kb", False)):
        out[f"unanswerable answered {where}"] = mean([t.top >= th for a, t, th in usual if not t.answerable and t.in_kb == in_kb])
    out["ECE"] = fit.calibration([t for a, t, th in usual])
    first = [(t, th) for a, t, th in judged_ if a.first_day and a.item.persona == "customer" and t.answerable]
    if first:
        out["first-day customers right"] = mean([t.top_right and t.top >= th for t, th in first])
    for persona in ("customer", "agent"):
        out[f"{persona} threshold"] = mean([th for a, t, th in usual if a.item.persona == persona])
    return out


def compare(variant: Variant, asks: list[fit.Ask], shuffles: int) -> dict[str, tuple[float, float]]:
    runs = [scores(judged(variant, asks, s)) for s in range(shuffles)]
    return {k: (mean([r[k] for r in runs]), float(np.std([r[k] for r in runs]))) for k in runs[0]}


def main(names: list[str], shuffles: int) -> None:
    settings = load_settings()
    service = open_bot(settings, store=False, decision=neutral_model()).service
    asks = fit.collect(service, load_gold(gold_file(settings), "dev"), first_day=True)
    for name in names or VARIANTS:
        variant = VARIANTS[name]
        kept = asks if variant.first_day else [a for a in asks if not a.first_day]
        figures = compare(variant, kept, shuffles)
        print(f"{name}: " + ", ".join(f"{k} {m:.3f}±{s:.3f}" for k, (m, s) in figures.items()), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="variants to compare (all by default): " + "; ".join(VARIANTS))
    parser.add_argument("--shuffles", type=int, default=3, help="shuffles of the dev questions into fifths")
    options = parser.parse_args()
    if unknown := [name for name in options.names if name not in VARIANTS]:
        parser.error(f"没有这个方案 / no such variant: {', '.join(unknown)}")
    main(options.names, options.shuffles)
