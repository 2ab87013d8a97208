"""Weight-space averaging of the tuned model with its base (Wortsman et al., 2022, "robust
fine-tuning" / WiSE-FT): the average keeps much of what the base knew about general questions
while keeping most of what tuning taught. A linear average of two state dicts is a few lines of
torch; sentence-transformers' own merge needs mergekit, far more than this needs.
"""

from collections.abc import Callable

WEIGHTS = (0.25, 0.5, 0.75, 1.0)  # the tuned model's share; 1.0 is the tuned model unaveraged
TOLERANCE = 0.01  # MRR@10 a smaller share may lose against the best and still be chosen


def snapshot(model) -> dict:
    """A copy of the model's weights that later training does not change."""
    return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}


def averaged(base: dict, tuned: dict, weight: float) -> dict:
    """weight · tuned + (1 − weight) · base, tensor by tensor; integer buffers (position ids) as tuned."""
    return {
        name: weight * tensor + (1 - weight) * base[name] if tensor.is_floating_point() else tensor
        for name, tensor in tuned.items()
    }


def choose_weight(grid: list[dict], tolerance: float = TOLERANCE) -> float:
    """The smallest tuned share whose held-out MRR@10 is within tolerance of the best share's: the
    held-out slice cannot see forgetting, so a share that costs it (almost) nothing keeps more of the base."""
    best = max(row["mrr@10"] for row in grid)
    return min(row["weight"] for row in grid if row["mrr@10"] >= best - tolerance)


def average_with_base(model, base: dict, check: Callable[[object], dict], weights=WEIGHTS) -> tuple[float, list[dict]]:
    """Load into `model` the average with `base` that the held-out check chooses; returns the
    chosen share and the check's result for every share tried (each with its "weight")."""
    tuned = snapshot(model)
    grid = []
    for weight in weights:
        model.load_state_dict(averaged(base, tuned, weight))
        grid.append({"weight": weight, **check(model)})
    chosen = choose_weight(grid)
    model.load_state_dict(averaged(base, tuned, chosen))
    return chosen, grid
