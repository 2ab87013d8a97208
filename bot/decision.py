"""The learned decision: the probability that a candidate passage answers the question, from
its features (bot.features), by a logistic model fitted on the gold set's dev half
(`python -m eval.fit_decision`). It re-ranks the top candidates when cross-validation on that
half says re-ranking beats the fused order (`rerank`), and, through two thresholds chosen on the
same half, decides the band: answer, 您是想问, or a person.

The model is plain JSON (feature names, standardisation, coefficients, thresholds, how it was
fitted), read once; no pickle, nothing fitted at run time.
"""

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from bot.features import FEATURES
from kefu.errors import KefuError
from kefu.vocab import Persona

BUNDLED = Path(__file__).resolve().parent / "decision_model.json"


class DecisionModelInvalid(KefuError):
    status, code = 503, "decision_model_invalid"


def beta_map(p: float, a: float, b: float, c: float) -> float:
    """Beta calibration (Kull et al. 2017): sigmoid(a·ln p − b·ln(1 − p) + c); Platt's map is a = b."""
    p = min(max(p, 1e-6), 1 - 1e-6)
    return 1.0 / (1.0 + math.exp(-(a * math.log(p) - b * math.log(1 - p) + c)))


@dataclass(frozen=True)
class DecisionModel:
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    answer_threshold: float  # on the calibrated scale (`confidence`)
    suggest_threshold: float
    fitted: dict  # when, on what, with which cross-validated scores
    # each persona's (a, b, c) of beta calibration for the top candidate; a persona not in it: none
    calibration: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    rerank: bool = False  # order candidates by probability, or keep retrieval's fused order
    persona_thresholds: dict[str, float] = field(default_factory=dict)  # answer thresholds of their own (customers': stricter)

    def answer_threshold_for(self, persona: str) -> float:
        return self.persona_thresholds.get(persona, self.answer_threshold)

    def probability(self, row: dict[str, float]) -> float:
        """That this candidate answers the question: the ranking score."""
        z = self.intercept + sum(c * (row[f] - m) / s for f, m, s, c in zip(self.features, self.mean, self.scale, self.coef))
        return 1.0 / (1.0 + math.exp(-z))

    def confidence(self, top_probability: float, persona: str) -> float:
        """That the top candidate (the best of several) answers: its probability, calibrated by
        beta calibration, sigmoid(a·ln p − b·ln(1 − p) + c), fitted per persona since customers'
        and agents' top probabilities run differently high."""
        return beta_map(top_probability, *self.calibration.get(persona, (1.0, 1.0, 0.0)))

    def weights(self) -> dict[str, float]:
        """Each feature's coefficient on the standardised scale: how much it moves the log-odds per standard deviation."""
        return dict(zip(self.features, self.coef))

    def to_dict(self) -> dict:
        return {
            "features": list(self.features), "mean": list(self.mean), "scale": list(self.scale), "coef": list(self.coef),
            "intercept": self.intercept, "answer_threshold": self.answer_threshold, "suggest_threshold": self.suggest_threshold,
            "calibration": {k: list(v) for k, v in self.calibration.items()}, "rerank": self.rerank, "persona_thresholds": self.persona_thresholds, "fitted": self.fitted,
        }


def neutral_model() -> DecisionModel:
    """A model that knows nothing (every candidate 0.5): what the fitting starts the bot with,
    since the features it fits on may have changed since the shipped model."""
    n = len(FEATURES)
    return DecisionModel(FEATURES, (0.0,) * n, (1.0,) * n, (0.0,) * n, 0.0, 0.5, 0.5, {"neutral": True})


def load_decision_model(path: Path | None = None) -> DecisionModel:
    """The model at `path` (KEFU_DECISION_MODEL), or the one shipped with kefu; refused when its
    features are not the ones this code computes."""
    path = path or BUNDLED
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        model = DecisionModel(
            tuple(raw["features"]), tuple(raw["mean"]), tuple(raw["scale"]), tuple(raw["coef"]), float(raw["intercept"]),
            float(raw["answer_threshold"]), float(raw["suggest_threshold"]), dict(raw.get("fitted", {})),
            read_calibration(raw.get("calibration", {})), bool(raw.get("rerank", False)),
            {str(k): float(v) for k, v in raw.get("persona_thresholds", {}).items()},
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DecisionModelInvalid(f"{path}: 决策模型无法读取 / the decision model cannot be read ({exc})") from exc
    if model.features != FEATURES or not (len(model.mean) == len(model.scale) == len(model.coef) == len(FEATURES)):
        raise DecisionModelInvalid(
            f"{path}: 决策模型的特征与代码不符 / the decision model's features do not match this code; refit with `python -m eval.fit_decision`"
        )
    return model


def read_calibration(raw: dict | list) -> dict[str, tuple[float, float, float]]:
    """Per persona (a, b, c); a model fitted before beta calibration holds one Platt pair (a, c)
    for every persona, which is beta calibration with b = a."""
    if isinstance(raw, list):
        a, c = (float(v) for v in raw)
        return {persona.value: (a, a, c) for persona in Persona}
    return {str(persona): tuple(float(v) for v in abc) for persona, abc in raw.items()}


def save_decision_model(model: DecisionModel, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(model.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
