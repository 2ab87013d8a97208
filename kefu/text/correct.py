"""Typo correction toward the knowledge base's own vocabulary, the way pycorrector's proper-noun
corrector works: spans of the query are compared, by sound and by shape, with the kb's terms.

Search engines that matched on pinyin alone retrieved more noise than they saved, so sounding
alike is far from enough. A span of 2-4 Han characters becomes a term only when
- the term is the kb's own: a word of jieba's dictionary or of the domain user dictionary, no stop
  word, that the kb uses `KEYNESS` times as often as general Chinese does (投诉, 保质期, 电话; not
  大家, 知道, 已经);
- the span is no dictionary word itself (公式, 师父, 电化 stay) and is `RARER` times rarer in the
  kb than the term (the kb's associated questions hold customers' typos: 投述 6 times, 投诉 243);
- the span shares a character with the term, and each replaced character sounds like the term's
  (tone-less pinyin) or, at most one of them, sounds only fuzzily alike (zh/z, l/n, in/ing …) or
  looks alike (same four-corner code) while being far rarer (盲 for 言); no numeral and no function
  character (的 吗 我 是 …) is replaced or put in, as those are typed on purpose;
- the span cuts no word of jieba's dictionary cut around it (客服电话 keeps its 服), and the text
  around reads better as words afterwards (jieba's unigram model: 投诉 above 投 述).
Measured on the public BQ, ATEC and LCQMC test questions (customers of other companies), about 3
in 1,000 are changed, many of them real typos (腿款, 资询, 怎么半); docs/how-it-works.md.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from kefu.text.alike import HAN, NUMERALS, four_corner_codes, fuzzy, fuzzy_sound, shape_key, sound, term_syllables
from kefu.text.normalize import fold_for_search
from kefu.text.tokenize import Tokenizer, user_dictionary_words

MIN_SPAN, MAX_SPAN = 2, 4
KEYNESS = 10
RARER = 20


class Change(NamedTuple):
    span: str
    replacement: str


@dataclass(frozen=True)
class Correction:
    text: str  # folded (fold_for_search), with the changes made
    changes: tuple[Change, ...] = ()


class _Found(NamedTuple):
    start: int
    end: int
    run: tuple[int, int]  # the run of Han characters the span is in
    term: str
    rank: tuple  # higher is better: longer span, fewer loose matches, commoner term


class Corrector:
    """Built once per kb index from its vocabulary; `correct` is then a pure function of the text."""

    def __init__(self, terms: Mapping[str, int], tokenizer: Tokenizer, targets: Iterable[str]):
        self._terms = terms
        self._tokenizer = tokenizer
        self._common = tokenizer.word_frequencies()
        self._typed_on_purpose = frozenset(w for w in tokenizer.stopwords if len(w) == 1) | NUMERALS
        self._codes = four_corner_codes()
        self._syllables = {t: term_syllables(t) for t in targets}  # in context: 重新 chong xin
        self._by_sound: dict[tuple, list[str]] = {}  # fuzzy syllables → terms
        self._by_shape: dict[tuple, list[str]] = {}  # four-corner codes → terms
        for term, reading in self._syllables.items():
            # Under its reading in context and under each character's usual one, which is how a
            # query's characters are read (重新: chong xin and zhong xin).
            for key in {tuple(map(fuzzy, reading)), tuple(map(fuzzy_sound, term))}:
                self._by_sound.setdefault(key, []).append(term)
            self._by_shape.setdefault(tuple(map(self._shape, term)), []).append(term)
        # Every start of a key: a span whose start is none stops growing.
        self._prefixes = {key[:n] for index in (self._by_sound, self._by_shape) for key in index for n in range(MIN_SPAN, len(key) + 1)}

    @classmethod
    def from_vocabulary(cls, terms: Mapping[str, int], tokenizer: Tokenizer) -> "Corrector":
        """`terms`: the kb's words with their counts (`count_terms`); `tokenizer`: the kb's own."""
        terms = {fold_for_search(t): n for t, n in terms.items() if n > 0}
        common = tokenizer.word_frequencies()
        kb_total, common_total = sum(terms.values()) or 1, sum(common.values())
        targets = [
            t for t, n in terms.items()
            if MIN_SPAN <= len(t) <= MAX_SPAN and HAN.fullmatch(t) and t not in tokenizer.stopwords
            and 0 < common.get(t, 0) / common_total * KEYNESS <= n / kb_total
        ]
        return cls(terms, tokenizer, targets)

    def correct(self, text: str) -> Correction:
        folded = fold_for_search(text)
        found = [f for run in HAN.finditer(folded) for f in self._run_candidates(run.group(), run.start())]
        chosen = sorted(_non_overlapping(self._plausible(folded, found)) if found else [])
        corrected = list(folded)
        for candidate in chosen:  # a term is as long as its span: no offset moves
            corrected[candidate.start : candidate.end] = candidate.term
        changes = tuple(Change(folded[c.start : c.end], c.term) for c in chosen)
        return Correction("".join(corrected), changes)

    def _shape(self, char: str) -> str:
        """The four-corner code, or the character itself when it has none (it then looks like nothing else)."""
        return shape_key(char, self._codes) or char

    def _run_candidates(self, run: str, offset: int) -> Iterable[_Found]:
        sounds = [fuzzy_sound(c) for c in run]
        shapes = [self._shape(c) for c in run]
        for i in range(len(run) - MIN_SPAN + 1):
            for end in range(i + MIN_SPAN, min(i + MAX_SPAN, len(run)) + 1):
                by_sound, by_shape = tuple(sounds[i:end]), tuple(shapes[i:end])
                if by_sound not in self._prefixes and by_shape not in self._prefixes:
                    break
                span = run[i:end]
                for term in {*self._by_sound.get(by_sound, ()), *self._by_shape.get(by_shape, ())} - {span}:
                    if (rank := self._rank(span, term)) is not None:
                        yield _Found(offset + i, offset + end, (offset, offset + len(run)), term, rank)

    def _rank(self, span: str, term: str) -> tuple | None:
        """How good replacing span by term is, or None when it must not happen."""
        if self._common.get(span, 0) or self._terms.get(span, 0) * RARER > self._terms[term]:
            return None
        differing, loose = self._differences(span, term)
        if differing is None or differing == len(span) or loose > 1:
            return None
        return (len(span), -loose, self._terms[term])

    def _differences(self, span: str, term: str) -> tuple[int | None, int]:
        """Characters replaced, and how many of them sound only fuzzily alike or only look alike."""
        differing = loose = 0
        for char, wanted, syllable in zip(span, term, self._syllables[term]):
            if char == wanted:
                continue
            if char in self._typed_on_purpose or wanted in self._typed_on_purpose:
                return None, 0
            differing += 1
            if sound(char) == syllable:
                continue
            if fuzzy_sound(char) != fuzzy(syllable) and not self._looks_alike(char, wanted):
                return None, 0
            loose += 1
        return differing, loose

    def _looks_alike(self, char: str, wanted: str) -> bool:
        """Same four-corner code, and the character typed far rarer than the one meant (曰 for 月,
        岀 for 出): common characters share codes too (叶 and 时, 用 and 胸)."""
        return self._shape(char) == self._shape(wanted) and self._common.get(char, 0) * RARER <= self._common.get(wanted, 0)

    def _plausible(self, text: str, found: list[_Found]) -> list[_Found]:
        """Candidates whose span cuts no word of the dictionary cut around it (客服电话 keeps its 服)
        and after which the text around reads better as words (已经过期 for 己经过期). Around: up to
        MAX_SPAN characters each side, within the run, so a long query costs no more per candidate."""
        plausible = []
        for f in found:
            start, end = max(f.run[0], f.start - MAX_SPAN), min(f.run[1], f.end + MAX_SPAN)
            score, pieces = self._tokenizer.best_cut(text[start:end])
            edges = _boundaries(pieces, start)
            after = text[start : f.start] + f.term + text[f.end : end]
            if f.start in edges and f.end in edges and self._tokenizer.best_cut(after)[0] > score:
                plausible.append(f)
        return plausible


def _boundaries(words: list[str], offset: int) -> set[int]:
    edges, position = {offset}, offset
    for word in words:
        position += len(word)
        edges.add(position)
    return edges


def _non_overlapping(found: list[_Found]) -> list[_Found]:
    """The best candidates first, none overlapping another."""
    chosen: list[_Found] = []
    for candidate in sorted(found, key=lambda c: c.rank, reverse=True):
        if all(candidate.end <= c.start or candidate.start >= c.end for c in chosen):
            chosen.append(candidate)
    return chosen


def count_terms(texts: Iterable[str], tokenizer: Tokenizer) -> dict[str, int]:
    """A kb's vocabulary: every word of its texts, counted, and each domain term of the user
    dictionary at least once."""
    counts = Counter(word for text in texts for word in tokenizer.words(text))
    for term in map(fold_for_search, user_dictionary_words()):
        counts[term] = max(counts[term], 1)
    return dict(counts)
