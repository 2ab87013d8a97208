"""The `kefu` command. It parses arguments and delegates: the work lives in indexer/ and bot/,
the measurements in eval/ and bench/; the CLI sits above all of them and nothing imports it.

Commands are grouped by what they touch: `kb` (import, index, kb list / passages), `answer`
(search, ask), `serve` (serve, tickets), `measure` (eval, bench), `tune` (tune).
"""

from kefu.cli import answer, kb, measure, serve, tune
from kefu.cli.base import app

for module in (kb, answer, serve, measure, tune):
    module.register(app)

__all__ = ["app"]
