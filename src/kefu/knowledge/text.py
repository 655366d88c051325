"""Chinese text for search and FAQ answers: words, synonyms, stop words and the sound of a word.

Operators' content is Chinese, written without spaces, so text is cut into words with jieba
and a user dictionary of telecom terms (data/userdict.txt). Synonyms (data/synonyms.txt,
宽带=网络, 机顶盒=盒子, 欠费=停机 ...) are folded into one stored word on both sides, in the
articles when they are indexed and in the question when it is asked, so a question in
either word finds the article written in the other.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable
from pathlib import Path

import jieba
from pypinyin import lazy_pinyin

DATA_DIR = Path(__file__).resolve().parent / "data"

# A word worth indexing has a Chinese character, a letter or a digit; punctuation is cut out.
_KEEP = re.compile(r"[\u3400-\u9fff\uf900-\ufaffa-z0-9]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Longer compounds in a question are split into the words an article would use
# (账号密码 → 账号 + 密码), when the dictionary knows such a split.
_SPLIT_FROM_LENGTH = 4


def _lines(name: str) -> list[str]:
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


@functools.cache
def tokenizer() -> jieba.Tokenizer:
    """A jieba tokenizer of our own (not the global one) with the telecom user dictionary."""
    jieba.setLogLevel(logging.WARNING)
    cutter = jieba.Tokenizer()
    cutter.load_userdict(str(DATA_DIR / "userdict.txt"))
    for word in synonym_groups():
        for synonym in word:
            cutter.add_word(synonym, freq=2000)
    return cutter


@functools.cache
def synonym_groups() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(word.lower() for word in line.split()) for line in _lines("synonyms.txt"))


@functools.cache
def _canonical() -> dict[str, str]:
    return {word: group[0] for group in synonym_groups() for word in group}


@functools.cache
def _surfaces() -> dict[str, tuple[str, ...]]:
    return {group[0]: group for group in synonym_groups()}


@functools.cache
def stop_words() -> frozenset[str]:
    return frozenset(word for line in _lines("stopwords.txt") for word in line.split())


def canonical(word: str) -> str:
    """The stored word of a synonym group (盒子 → 机顶盒); other words unchanged."""
    return _canonical().get(word, word)


def surface_forms(word: str) -> tuple[str, ...]:
    """Every way of writing a stored word, for highlighting (机顶盒 → 机顶盒, 盒子, 机顶)."""
    return _surfaces().get(word, (word,))


def _pieces(words: Iterable[str]) -> list[str]:
    kept: list[str] = []
    for word in words:
        kept.extend(_KEEP.findall(word))
    return kept


def _prepare(text: str) -> str:
    # Full-width letters and digits (ＷＩＦＩ, ５Ｇ) are common in typed Chinese.
    return text.translate(_FULL_WIDTH).lower()


_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def index_words(text: str) -> list[str]:
    """The words of a text as stored in the index: fine-grained, synonyms folded, stop words kept out.

    jieba's search mode adds the shorter words inside a compound (数字电视 → 数字, 电视,
    数字电视), so a question using either finds the article.
    """
    words = _pieces(tokenizer().cut_for_search(_prepare(text), HMM=False))
    stops = stop_words()
    return [canonical(word) for word in words if word not in stops]


def _split_compound(word: str) -> list[str]:
    """账号密码 → [账号, 密码] when the dictionary knows words that cover it exactly, else [word]."""
    if len(word) < _SPLIT_FROM_LENGTH or not _CJK.search(word):
        return [word]
    parts = {part for part in tokenizer().cut_for_search(word, HMM=False) if part != word and len(part) > 1}
    # Cover the word with known parts, preferring the fewest parts.
    best: dict[int, list[str]] = {0: []}
    for end in range(1, len(word) + 1):
        options = [
            best[start] + [word[start:end]] for start in range(end) if start in best and word[start:end] in parts
        ]
        if options:
            best[end] = min(options, key=len)
    return best.get(len(word), [word])


def query_words(text: str) -> list[str]:
    """The words of a question, in order, once each: precise cut, compounds split, synonyms folded."""
    words: list[str] = []
    stops = stop_words()
    for word in _pieces(tokenizer().cut(_prepare(text), HMM=False)):
        if word in stops:
            continue
        for part in _split_compound(word):
            stored = canonical(part)
            if part not in stops and stored not in words:
                words.append(stored)
    return words


def is_chinese(word: str) -> bool:
    return bool(_CJK.search(word))


# 模糊音: the confusions of pinyin input (平翘舌, 前后鼻音, n/l) that make most typos in names.
_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"))
_FINALS = (("ing", "in"), ("eng", "en"), ("ang", "an"))


def _fold(syllable: str) -> str:
    for long, short in _INITIALS:
        if syllable.startswith(long):
            syllable = short + syllable[len(long) :]
            break
    for long, short in _FINALS:
        if syllable.endswith(long):
            return syllable[: -len(long)] + short
    return syllable


def sound_of(word: str) -> str:
    """How a word sounds, forgiving the usual pinyin-input slips: 畅想 and 畅享 both give "can xian"."""
    return " ".join(_fold(syllable.strip()) for syllable in lazy_pinyin(word) if syllable.strip())
