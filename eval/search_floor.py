"""The console's empty state: below which dense cosine a search whose results share no word
with the query shows nothing. Nonsense queries (keyboard mash, random letters, rare characters)
against the gold dev half's questions, each ranked in its own kb as the console's search ranks it
(BotService.rank, an agent's ranking).

    python -m eval.search_floor [--split dev]

Prints the top cosines of both, and for each candidate floor the share of nonsense searches that
would still list results, of answerable dev questions that would list none, and of unanswerable
ones that would list none.
"""

import argparse
import random
import string

from bot.assemble import open_bot
from bot.retrieve.results import matches_nothing
from kefu.gold import gold_file, load_gold
from kefu.settings import load_settings
from kefu.vocab import Persona

FLOORS = (0.75, 0.80, 0.85, 0.87, 0.88, 0.90, 0.92, 0.93, 0.95)
RARE_HAN = "龘靐齉爩鱻麤龖厵灥燚猋骉羴犇毳淼焱垚嚞"


def nonsense_queries(count: int = 60, seed: int = 18) -> list[str]:
    """Strings nobody would type for a service question, seeded: letters, digits, rare characters."""
    rng = random.Random(seed)
    queries = ["xyzqqq", "asdfgh", "qwertyuiop", "zzzzzz", "aaaa bbbb", "lorem ipsum", "!!!???", "123456789"]
    while len(queries) < count:
        kind = len(queries) % 3
        length = rng.randint(4, 10)
        if kind == 0:
            queries.append("".join(rng.choice(string.ascii_lowercase) for _ in range(length)))
        elif kind == 1:
            queries.append("".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length)))
        else:
            queries.append("".join(rng.choice(RARE_HAN) for _ in range(rng.randint(2, 4))))
    return list(dict.fromkeys(queries))


def listed(hits, floor: float) -> bool:
    return not matches_nothing(hits, floor)


def top_cosines(searches) -> str:
    tops = sorted(max((h.dense_score or 0.0) for h in hits) for hits in searches)
    return f"min {tops[0]:.3f}, median {tops[len(tops) // 2]:.3f}, max {tops[-1]:.3f}" if tops else "none"


def measure(split: str) -> None:
    settings = load_settings()
    items = load_gold(gold_file(settings), split)
    kbs = sorted({item.kb for item in items})
    service = open_bot(settings, store=False).service

    def search(query: str, kb: str):
        return service.rank(query, Persona.agent, kb).hits  # every ranked candidate, as BotService.search judges them

    nonsense = {(kb, q): search(q, kb) for kb in kbs for q in nonsense_queries()}
    real = [(item, search(item.question, item.kb)) for item in items]
    wordless = [(item, hits) for item, hits in real if not any(h.sparse_score for h in hits)]
    answerable = [hits for item, hits in wordless if item.answerable]
    print(f"{len(nonsense)} nonsense searches ({len(kbs)} kbs), {len(real)} {split} questions")
    print(f"nonsense sharing a word with a result: {sum(any(h.sparse_score for h in hits) for hits in nonsense.values())}")
    print(f"top cosine of nonsense: {top_cosines(nonsense.values())}")
    print(f"{split} questions sharing no word with any result: {len(answerable)} answerable ({top_cosines(answerable)}), "
          f"{len(wordless) - len(answerable)} not")
    print("floor  nonsense listed  answerable listing none  unanswerable listing none")
    answerable_all = [hits for item, hits in real if item.answerable]
    unanswerable = [hits for item, hits in real if not item.answerable]
    for floor in FLOORS:
        leaked = sum(listed(hits, floor) for hits in nonsense.values()) / len(nonsense)
        lost = sum(not listed(hits, floor) for hits in answerable_all) / len(answerable_all)
        quiet = sum(not listed(hits, floor) for hits in unanswerable) / max(1, len(unanswerable))
        print(f"{floor:.2f}   {leaked:6.1%}           {lost:6.1%}                   {quiet:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev")
    args = parser.parse_args()
    measure(args.split)


if __name__ == "__main__":
    main()
