"""Tuning the embedding model on the knowledge bases' own questions (`kefu tune`): write-path work,
it produces a model. `pairs` (what it learns from), `heldout` (the check it stops on), `train`,
`average` (with the base model), `card` (the model card), `run` (end to end, published atomically).
"""
