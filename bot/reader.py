"""One knowledge base's index version ready to answer from: the index, its words' IDF, its
documents' dates, a memo of its passages' tokens and a typo corrector toward its vocabulary.
Replaced whole on re-index."""

from dataclasses import dataclass

from bot.coverage import idf_from_bm25
from bot.retrieve.index import LoadedIndex
from bot.retrieve.passage_tokens import FILL_AT_LOAD, PassageTokens
from kefu.text.correct import Corrector
from kefu.text.tokenize import Tokenizer


@dataclass(frozen=True)
class Reader:
    index: LoadedIndex
    idf: dict[str, float]
    dates: dict[str, str | None]
    passage_tokens: PassageTokens
    corrector: Corrector

    @classmethod
    def from_index(cls, index: LoadedIndex, tokenizer: Tokenizer) -> "Reader":
        documents = index.manifest.get("documents", {})
        dates = {doc: info.get("date") for doc, info in documents.items()}
        corrector = Corrector.from_vocabulary(index.terms, tokenizer)
        tokens = PassageTokens(index.chunks, tokenizer, index.sparse)
        if len(index.chunks) <= FILL_AT_LOAD:
            tokens.fill()
        return cls(index, idf_from_bm25(index.sparse), dates, tokens, corrector)

    @property
    def kb(self) -> str:
        return self.index.kb

    @property
    def version(self) -> str:
        return self.index.version
