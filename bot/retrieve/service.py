"""Assemble a Searcher from the settings: the current index, the encoder, the tokenizer."""

from bot.retrieve.index import load_current
from bot.retrieve.search import Searcher
from indexer.embed import Encoder
from indexer.settings import Settings
from indexer.textnorm import Tokenizer


def open_searcher(settings: Settings, encoder: Encoder | None = None) -> Searcher:
    index = load_current(settings)
    return Searcher(index, encoder or Encoder(settings), Tokenizer(), settings)
