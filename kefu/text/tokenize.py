"""Words for BM25 and for answer composition: jieba with kefu's user dictionary and stop words."""

import hashlib
import logging
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import jieba

from kefu.text.colloquial import COLLOQUIAL, spoken_to_written
from kefu.text.normalize import fold_for_search

LEXICON_DIR = Path(__file__).parent / "lexicon"
USER_DICT = LEXICON_DIR / "userdict.txt"
STOPWORDS = LEXICON_DIR / "stopwords.txt"
_BREAKS = re.compile(r"[\W_]+")
# A run of ASCII letters and digits is one unit: split into digits, 400 or 2 would match any number.
_UNITS = re.compile(r"[0-9a-z]+|\w")


def lexicon_hash() -> str:
    """Identifies the user dictionary, stop words and spoken-form rules an index was made with."""
    digest = hashlib.sha256()
    for path in (USER_DICT, STOPWORDS, COLLOQUIAL):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _is_punct_or_space(token: str) -> bool:
    return all(unicodedata.category(ch)[0] in "PSZC" for ch in token)


class Tokenizer:
    """jieba with kefu's user dictionary and stop words; punctuation and stop words dropped.

    One instance per process: building jieba's prefix dictionary costs about a second.
    """

    def __init__(self, user_dict: Path = USER_DICT, stopwords: Path = STOPWORDS):
        jieba.setLogLevel(logging.WARNING)  # its "Building prefix dict…" lines are no news to an operator
        self._jieba = jieba.Tokenizer()
        self._jieba.load_userdict(str(user_dict))
        self._stopwords = frozenset(
            line.strip() for line in stopwords.read_text(encoding="utf-8").splitlines() if line.strip()
        )

    @property
    def stopwords(self) -> frozenset[str]:
        return self._stopwords

    def tokenize(self, text: str) -> list[str]:
        return [t for t in self.words(text) if t not in self._stopwords]

    def words(self, text: str) -> list[str]:
        """Every word of the text in its written form (folded, 咋→怎么, 能退不→能退吗), stop words
        kept, punctuation dropped: documents and queries alike."""
        tokens = self._jieba.cut_for_search(spoken_to_written(text))
        return [t for t in (tok.strip() for tok in tokens) if t and not _is_punct_or_space(t)]

    def best_cut(self, folded: str) -> tuple[float, list[str]]:
        """jieba's most probable cut of already folded text into dictionary words (its unigram
        model, no HMM guessing), every character kept, with its log-probability: higher when the
        text reads as known words, 保质期多久 above 保值期多久."""
        route: dict[int, tuple[float, int]] = {}
        self._jieba.calc(folded, self._jieba.get_DAG(folded), route)
        pieces, start = [], 0
        while start < len(folded):
            end = route[start][1] + 1
            pieces.append(folded[start:end])
            start = end
        return (route[0][0] if folded else 0.0), pieces

    def word_frequencies(self) -> Mapping[str, int]:
        """jieba's dictionary counts (with the user dictionary's): how common a word is in general."""
        self._jieba.check_initialized()
        return MappingProxyType(self._jieba.FREQ)


def user_dictionary_words(path: Path = USER_DICT) -> list[str]:
    """The domain terms of the user dictionary (its first column)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split()[0] for line in lines if line.strip() and not line.startswith("#")]


def char_ngrams(text: str) -> list[str]:
    """Character unigrams and bigrams of the folded text, for a BM25 channel beside jieba's words.

    Punctuation and spaces are dropped and break the bigrams: 保质期,多久 gives 保 质 期 多 久 and
    保质 质期 多久, never 期多. A typo spoils two bigrams and one unigram, not a whole word.
    """
    grams: list[str] = []
    for run in _BREAKS.split(fold_for_search(text)):
        units = _UNITS.findall(run)
        grams.extend(units)
        grams.extend(a + b for a, b in zip(units, units[1:]))
    return grams
