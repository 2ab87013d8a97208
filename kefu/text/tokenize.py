"""Words for BM25 and for answer composition: jieba with kefu's user dictionary and stop words."""

import hashlib
import logging
import unicodedata
from pathlib import Path

import jieba

from kefu.text.normalize import fold_for_search

LEXICON_DIR = Path(__file__).parent / "lexicon"
USER_DICT = LEXICON_DIR / "userdict.txt"
STOPWORDS = LEXICON_DIR / "stopwords.txt"


def lexicon_hash() -> str:
    """Identifies the user dictionary and stop words an index was tokenised with."""
    digest = hashlib.sha256()
    for path in (USER_DICT, STOPWORDS):
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

    def tokenize(self, text: str) -> list[str]:
        tokens = self._jieba.cut_for_search(fold_for_search(text))
        return [t for t in (tok.strip() for tok in tokens) if t and t not in self._stopwords and not _is_punct_or_space(t)]
