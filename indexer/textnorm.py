"""Chinese text handling in one place: normalise, split sentences, tokenise.

Documents and queries go through the same functions, so a query typed in traditional
characters or full-width digits meets the manuals on equal terms.
"""

import functools
import hashlib
import re
import unicodedata
from pathlib import Path

import jieba
from opencc import OpenCC

LEXICON_DIR = Path(__file__).parent / "lexicon"
USER_DICT = LEXICON_DIR / "userdict.txt"
STOPWORDS = LEXICON_DIR / "stopwords.txt"

# Zero-width and BOM characters arrive in pasted text and in BQ data; they split words invisibly.
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")
# Letter-spaced titles ("客 户 服 务 规 范") are one word; a lone space after 第六条 is not.
_LETTER_SPACED = re.compile(r"(?:[\u4e00-\u9fff] ){2,}[\u4e00-\u9fff](?![\u4e00-\u9fff])")

SENTENCE_END = "。！？；!?;"
_CLOSERS = "”’」』)）】"
_SENTENCE = re.compile(rf"[^{SENTENCE_END}\n]*[{SENTENCE_END}]+[{_CLOSERS}]*|[^{SENTENCE_END}\n]+")


# NFKC would turn ① into 1 and lose a numbering level the outline depends on.
_NFKC_KEEP = re.compile("([\u2460-\u2473])")


def normalize_text(text: str) -> str:
    """NFKC (full-width ASCII to half-width), no invisible or control characters, single spaces."""
    text = "".join(
        piece if _NFKC_KEEP.fullmatch(piece) else unicodedata.normalize("NFKC", piece)
        for piece in _NFKC_KEEP.split(text)
    )
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = (_unspace(_SPACES.sub(" ", line)).strip() for line in text.split("\n"))
    return "\n".join(lines)


def _unspace(line: str) -> str:
    return _LETTER_SPACED.sub(lambda m: m.group(0).replace(" ", ""), line)


@functools.lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


def fold_for_search(text: str) -> str:
    """What retrieval sees of a text: normalised, traditional folded to simplified, lower-case."""
    return _t2s().convert(normalize_text(text)).lower()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: ends at 。！？；(or half-width forms), closing quotes kept."""
    spans = []
    for match in _SENTENCE.finditer(text):
        piece = match.group(0)
        lead = len(piece) - len(piece.lstrip())
        if piece.strip():
            spans.append((match.start() + lead, match.start() + len(piece.rstrip())))
    return spans


def split_sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text)]


def compact(text: str) -> str:
    """Text with all white space removed: how two renderings of one sentence are compared."""
    return re.sub(r"\s+", "", normalize_text(text))


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
        self._jieba = jieba.Tokenizer()
        self._jieba.load_userdict(str(user_dict))
        self._stopwords = frozenset(
            line.strip() for line in stopwords.read_text(encoding="utf-8").splitlines() if line.strip()
        )

    def tokenize(self, text: str) -> list[str]:
        tokens = self._jieba.cut_for_search(fold_for_search(text))
        return [t for t in (tok.strip() for tok in tokens) if t and t not in self._stopwords and not _is_punct_or_space(t)]
