"""Redacted packets (after CiviCase's "Redact", docs/DOMAIN.md §7).

Every person of the packet's cases (the person, household members, the 来談者) gets a stable
code — A氏, B氏 … the same person keeps the same code through the whole packet, in every part
and every spelling. Other people named in the notes (「隣人の佐藤花子さん」「民生委員の山本氏」)
become 第三者1, 第三者2 … stable within the packet. Addresses lose everything below the town
(番地 and below), phone numbers and birth dates are masked, exact ages become bands (80歳代),
case numbers become 事例1, 事例2 ….

How names are found. Text is compared after the search normalisation (domain/text.py: NFKC,
width, katakana → hiragana, no spaces), so 「福山トメ」「ふくやま とめ」「ﾌｸﾔﾏﾄﾒ」「福山　ﾄﾒ」 are one
spelling; only the matched stretch of the original is replaced, everything else is kept exactly as
written (variant kanji and 外字 included, so the PDF still reports characters its font lacks).
A person's full name matches anywhere, in kanji, in ふりがな or mixed (福山とめ); a family or given
name alone matches before an honorific (さん・様・氏 …), after a role word (長男の翔), or standing
on its own (not inside a longer kanji word: 福山 in 「福山市」 stays). A one-kanji or two-hiragana
piece matches only before an honorific or after a role word. A third party is a name before an
honorific or after a role word (the role words, ordinary expressions such as 「お母さん」「皆さん」,
words that are never names and common surnames are data: resources/redaction_words.json; a
workspace may carry its own copy). Staff and agency names stay: they are the members.

Every replacement is logged (original spelling as it appears, replacement, part, case, place),
so the coordinator sees the list before the file is written (services/meeting_packets.py
`preview_redaction`) and may add terms of their own, replaced as 「伏字」 or as a third party.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from kodoku_desk.domain.dates import parse_date, to_wareki
from kodoku_desk.domain.text import kata_to_hira
from kodoku_desk.errors import UserError
from kodoku_desk.exports.packet_model import CasePacket, Packet, PersonInfo, PlanBlock
from kodoku_desk.paths import RESOURCES, WorkspaceOverride

ADDRESS_MASK = "（番地以下非表示）"
PHONE_MASK = "（電話番号非表示）"
BIRTH_MASK = "（生年月日非表示）"
NAME_MASK = "（氏名非表示）"  # a family name shared by several people of the case
CASE_NO_MASK = "（ケース番号非表示）"
FUSEJI = "（伏字）"  # a term the coordinator added, not as a third party
HIDDEN = "（表示しない）"  # the ふりがな line of a coded person

# Kinds of replacement, as the preview shows them.
KIND_NAME, KIND_KANA, KIND_THIRD = "氏名", "ふりがな", "第三者"
KIND_ADDRESS, KIND_PHONE, KIND_BIRTH = "住所", "電話番号", "生年月日"
KIND_AGE, KIND_CASE, KIND_ADDED = "年齢", "ケース番号", "追加した語句"

DEFAULT_WORDS = RESOURCES / "redaction_words.json"
WORKSPACE_WORDS = "redaction_words.json"

_KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆ヶ\U00020000-\U0003ffff"
_KATA = "\u30a1-\u30fa\u30fc-\u30ff"
_IS_KANJI = re.compile(f"[{_KANJI}]")
_IS_KATA = re.compile(f"[{_KATA}]")
_IS_HIRA = re.compile("[\u3041-\u309f]")
_RUN = re.compile(f"[{_KANJI}]+|[{_KATA}]{{2,}}")
_KANJI_RUN = re.compile(f"[{_KANJI}]+")
_HIRA_RUN = re.compile("[\u3041-\u3096ー]{2,}")
_SURNAME_KANA = re.compile(f"(?<![{_KANJI}])([{_KANJI}]{{2,3}})[\u3041-\u3096ー]{{1,5}}")
_MARKS = frozenset(
    [chr(c) for c in range(0x300, 0x370)] + [chr(c) for c in range(0x1AB0, 0x1B00)]
    + [chr(c) for c in range(0x20D0, 0x2100)] + ["\u3099", "\u309a", "\uff9e", "\uff9f"]
    + [chr(c) for c in range(0xFE00, 0xFE10)] + [chr(c) for c in range(0xE0100, 0xE01F0)])
_SELECTORS = frozenset([chr(c) for c in range(0xFE00, 0xFE10)]
                       + [chr(c) for c in range(0xE0100, 0xE01F0)])
_SPACE_OR_MARK = re.compile("[\\s\u0300-\u036f\u1ab0-\u1aff\u20d0-\u20ff\u3099\u309a\uff9e\uff9f"
                            "\ufe00-\ufe0f\U000e0100-\U000e01ef]")
_FOLD = {**{c: c - 0x60 for c in range(ord("ァ"), ord("ヶ") + 1)},
         **{c: c + 32 for c in range(ord("A"), ord("Z") + 1)}}

_ERA = "令和|平成|昭和|大正|明治"
_DATE_RE = re.compile(
    rf"(?:{_ERA}|(?<![a-z])[rhstm])\.?(?:元|\d{{1,2}})(?:年|[./-])\d{{1,2}}(?:月|[./-])\d{{1,2}}日?"
    r"|(?<!\d)\d{4}(?:年|[./-])\d{1,2}(?:月|[./-])\d{1,2}日?(?!\d)"
    r"|(?<!\d)\d{8}(?!\d)", re.IGNORECASE)
_BORN_AFTER = re.compile(f"生(?:まれ|れ|(?![{_KANJI}ぁ-ん]))")
_BORN_PARTIAL_RE = re.compile(
    rf"(?:(?:{_ERA})(?:元|\d{{1,2}})年|(?<!\d)\d{{4}}年)(?:\d{{1,2}}月(?:\d{{1,2}}日)?)?"
    rf"(?=生(?:まれ|れ|(?![{_KANJI}ぁ-ん])))"
    rf"|(?<!\d)\d{{1,2}}月\d{{1,2}}日(?=生(?:まれ|れ|(?![{_KANJI}ぁ-ん])))")
_BIRTH_LABELS = ("生年月日", "誕生日", "生年")
_DASH = "[-‐‑‒–—―ー−]"
_PHONE_RE = re.compile(  # 084-928-1234, 09011112222, (084)928-1234, 084(928)1234: 10 or 11 digits
    rf"(?<![0-9])(?:\(0[0-9]{{1,4}}\)(?:{_DASH}?[0-9]){{5,9}}"
    rf"|0[0-9](?:(?:{_DASH}|[()])?[0-9]){{8,9}})(?![0-9])")
_NUM = "(?:[0-9]+|[一二三四五六七八九十〇百千]+)"
_ROOM = rf"(?:{_NUM}号室|{_DASH}?[0-9]+号室)"
_ADDRESS_RE = re.compile(
    rf"(?<=[{_KANJI}])(?:"
    rf"{_NUM}丁目(?:{_NUM}(?:番地?|{_DASH}))?(?:{_NUM}号?)?(?:{_DASH}[0-9]+)?"
    rf"|{_NUM}番地(?:の?{_NUM}号?)?"
    rf"|{_NUM}番{_NUM}号"
    rf"|[0-9]+(?:{_DASH}[0-9]+){{1,3}}(?![0-9万円歳才人件回時分年月日か%])"
    rf"){_ROOM}?"
    rf"|(?<![0-9]){_NUM}号室")
_LABEL = re.compile(r"(.+?)[（(](.+)[）)]")
_ISO_LIKE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
_AGE_RE = re.compile(r"(満)?(?<![0-9])([0-9]{1,3})(?:歳|才)(?!代|未満|以上|以下)")
_CASE_NO_RE = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}-[0-9]{6}(?![0-9])")


# ----------------------------------------------------------------------------- small rules


def code_name(index: int) -> str:
    """0 → A氏, 25 → Z氏, 26 → AA氏 …"""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return f"{letters}氏"


def third_party_code(number: int) -> str:
    return f"第三者{number}"


def age_band(age: int | None) -> str:
    if age is None:
        return "年齢不明"
    if age < 10:
        return "10歳未満"
    if age < 20:
        return "10歳代" + ("（18歳未満）" if age < 18 else "")
    return f"{age // 10 * 10}歳代"


def _is_code(replacement: str) -> bool:
    return replacement.endswith("氏") or replacement.startswith("第三者")


# ----------------------------------------------------------------------------- normalised text


class _Text:
    """One text and its normalised forms, index-aligned: `k` is NFKC without spaces (scripts
    kept, for the patterns), `h` is `k` with katakana as hiragana and ASCII in lower case (the
    search key, for names). starts/ends give each normalised character's stretch of the
    original, so a match replaces exactly what was written and nothing else."""

    __slots__ = ("orig", "k", "h", "starts", "ends", "claimed", "spans")

    def __init__(self, orig: str, table: dict[int, int] = _FOLD) -> None:
        self.orig = orig
        if unicodedata.is_normalized("NFKC", orig) and not _SPACE_OR_MARK.search(orig):
            self.k = orig
            self.starts = self.ends = None  # identity
        else:
            ks: list[str] = []
            starts: list[int] = []
            ends: list[int] = []
            i, n = 0, len(orig)
            while i < n:
                j = i + 1
                while j < n and orig[j] in _MARKS:
                    j += 1
                for ch in unicodedata.normalize("NFKC", orig[i:j]):
                    if ch.isspace() or ch in _SELECTORS:
                        continue
                    ks.append(ch)
                    starts.append(i)
                    ends.append(j)
                i = j
            self.k = "".join(ks)
            self.starts, self.ends = starts, ends
        h = self.k.translate(table)
        self.h = h if len(h) == len(self.k) else kata_to_hira(self.k)
        self.claimed = bytearray(len(self.k))
        self.spans: list[tuple[int, int, str | None, str]] = []

    def free(self, start: int, end: int) -> bool:
        return not any(self.claimed[start:end])

    def claim(self, start: int, end: int, replacement: str | None, kind: str) -> bool:
        if start >= end or not self.free(start, end):
            return False
        self.claimed[start:end] = b"\x01" * (end - start)
        self.spans.append((start, end, replacement, kind))
        return True

    def original(self, start: int, end: int) -> tuple[int, int]:
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]

    def result(self) -> tuple[str, list[tuple[str, str, str]]]:
        """The text with every claimed stretch replaced, and (original, replacement, kind)."""
        out: list[str] = []
        made: list[tuple[str, str, str]] = []
        cursor = 0
        for start, end, replacement, kind in sorted(self.spans):
            if replacement is None:
                continue
            a, b = self.original(start, end)
            a = max(a, cursor)
            if a >= b:
                continue
            out.append(self.orig[cursor:a])
            out.append(replacement)
            made.append((self.orig[a:b], replacement, kind))
            cursor = b
        if not made:
            return self.orig, made
        out.append(self.orig[cursor:])
        return "".join(out), made


def fold(text: str, table: dict[int, int] = _FOLD) -> str:
    """The normalised form names are compared in: the search key (domain/text.search_key), and
    with the vocabulary's table also variant kanji folded (髙 → 高), for matching only."""
    return _Text(text or "", table).h


# ----------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Vocabulary:
    """The words of resources/redaction_words.json, normalised."""

    honorifics: tuple[str, ...]
    not_honorific_before: dict[str, str]
    honorific_prefixes: tuple[str, ...]
    role_words: tuple[str, ...]
    role_joiners: tuple[str, ...]
    kept_expressions: tuple[str, ...]
    not_names: frozenset[str]
    not_name_endings: tuple[str, ...]
    place_endings: frozenset[str]
    name_suffixes: tuple[str, ...]
    surnames: tuple[str, ...]  # longest first
    surname_set: frozenset[str] = frozenset()
    surname_length: int = 0
    fold_table: dict[int, int] = field(compare=False, repr=False, default_factory=dict)
    role_re: re.Pattern = field(compare=False, repr=False, default=re.compile("(?!)"))
    role_end_re: re.Pattern = field(compare=False, repr=False, default=re.compile("(?!)"))


def _words(raw: dict, key: str, source: str, table: dict[int, int] = _FOLD) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserError(f"匿名化の語の一覧 {source}: 「{key}」は文字列の一覧にしてください。")
    return [w for w in (fold(v, table) for v in value) if w]


def _variants(raw: dict, source: str) -> dict[int, int]:
    value = raw.get("variants", {})
    if not isinstance(value, dict) or not all(
            isinstance(a, str) and isinstance(b, str) and len(a) == len(b) == 1
            for a, b in value.items()):
        raise UserError(f"匿名化の語の一覧 {source}: 「variants」は1文字から1文字への対応にしてください。")
    return {ord(a): ord(b) for a, b in value.items()}


def parse_vocabulary(raw: object, source: str = "redaction_words.json") -> Vocabulary:
    if not isinstance(raw, dict):
        raise UserError(f"匿名化の語の一覧 {source}: 最上位は JSON のオブジェクトにしてください。")
    table = {**_FOLD, **_variants(raw, source)}
    surnames = tuple(sorted({w for w in _words(raw, "surnames", source, table) if len(w) >= 2},
                            key=len, reverse=True))
    by_length = lambda words: tuple(sorted(dict.fromkeys(words), key=len, reverse=True))  # noqa: E731
    honorifics = by_length(_words(raw, "honorifics", source, table))
    if not honorifics:
        raise UserError(f"匿名化の語の一覧 {source}: 「honorifics」（敬称）が空です。")
    after = raw.get("not_honorific_before", {})
    if not isinstance(after, dict):
        raise UserError(f"匿名化の語の一覧 {source}: 「not_honorific_before」はオブジェクトにしてください。")
    roles = by_length(_words(raw, "role_words", source, table))
    joiners = by_length(_words(raw, "role_joiners", source, table))
    alternatives = "|".join(map(re.escape, roles)) or "(?!)"
    joined = "(?:" + "|".join(map(re.escape, joiners)) + ")?" if joiners else ""
    return Vocabulary(
        honorifics=honorifics,
        not_honorific_before={fold(k, table): "".join(fold(c, table) for c in v)
                              for k, v in after.items() if isinstance(v, list)},
        honorific_prefixes=tuple(_words(raw, "honorific_prefixes", source, table)),
        role_words=roles, role_joiners=joiners,
        kept_expressions=by_length(_words(raw, "kept_expressions", source, table)),
        not_names=frozenset(_words(raw, "not_names", source, table)),
        not_name_endings=tuple(_words(raw, "not_name_endings", source, table)),
        place_endings=frozenset(_words(raw, "place_endings", source, table)),
        name_suffixes=by_length(_words(raw, "name_suffixes", source, table)),
        surnames=surnames, surname_set=frozenset(surnames),
        surname_length=max(map(len, surnames), default=0),
        fold_table=table,
        role_re=re.compile(f"(?:{alternatives}){joined}"),
        role_end_re=re.compile(f"(?:{alternatives}){joined}$"),
    )


def load_vocabulary(path: Path) -> Vocabulary:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UserError(f"匿名化の語の一覧 {path} が見つかりません。") from exc
    except json.JSONDecodeError as exc:
        raise UserError(f"匿名化の語の一覧 {Path(path).name} を JSON として読めません（{exc.msg}）。") from exc
    return parse_vocabulary(raw, Path(path).name)


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    return load_vocabulary(DEFAULT_WORDS)


_WORKSPACE_WORDS = WorkspaceOverride(WORKSPACE_WORDS, load_vocabulary, default_vocabulary)


def vocabulary_for(folder: Path | str | None) -> Vocabulary:
    """`<workspace>/redaction_words.json` when the admin has put an edited copy there,
    otherwise the bundled list."""
    return _WORKSPACE_WORDS.for_folder(folder)


# ----------------------------------------------------------------------------- literal terms


@dataclass
class _Term:
    key: str
    kind: str
    owners: set[str]  # codes (or the one replacement) this spelling stands for
    anywhere: bool  # False: a name piece, which needs an honorific, a role word or a boundary


class _Literals:
    """Keys grouped by first character, longest first; a character class finds where to look."""

    def __init__(self) -> None:
        self.by_first: dict[str, list[tuple[str, _Term]]] = {}
        self.find: re.Pattern | None = None

    def add(self, term: _Term) -> None:
        self.by_first.setdefault(term.key[0], []).append((term.key, term))

    def freeze(self) -> _Literals:
        for terms in self.by_first.values():
            terms.sort(key=lambda t: len(t[0]), reverse=True)
        self.find = re.compile("[" + "".join(re.escape(c) for c in self.by_first) + "]") \
            if self.by_first else None
        return self

    def next_at(self, h: str, pos: int) -> int:
        """The next position at or after pos where some key may start, or -1."""
        if self.find is None:
            return -1
        m = self.find.search(h, pos)
        return m.start() if m else -1


def _split_name(text: str) -> list[str]:
    """A name's pieces (family, given): at spaces, or where kanji turns to kana."""
    k = unicodedata.normalize("NFKC", text or "").strip()
    pieces = [p for p in re.split(r"\s+", k) if p]
    if len(pieces) == 1:
        m = re.fullmatch(f"([{_KANJI}]+)([\u3041-\u309f{_KATA}]+)", pieces[0])
        if m:
            pieces = [m.group(1), m.group(2)]
    return pieces


# ----------------------------------------------------------------------------- the redactor


@dataclass(frozen=True)
class ExtraTerm:
    """A term the coordinator adds at the preview: replaced as 「伏字」 or as a third party."""

    text: str
    third_party: bool = False


class Redactor:
    """Codes for the people of one packet and a scrubber for its free text.

    Use: `learn(texts)` once over every text the packet will redact (finds the third parties
    and numbers them in order of appearance), then `text(value)` for each; `made` then lists
    what that text had replaced. `context` is the set of codes of the case being redacted: a
    family name several people share resolves to the one person of this case who has it, and
    is masked (（氏名非表示）) when several of them have it."""

    def __init__(self, people: Sequence[PersonInfo], *, vocabulary: Vocabulary | None = None,
                 keep_names: Iterable[str] = (), staff_names: Iterable[str] = (),
                 extra_terms: Iterable[ExtraTerm] = (),
                 case_numbers: dict[str, str] | None = None) -> None:
        self.vocab = vocabulary or default_vocabulary()
        self._table = self.vocab.fold_table or _FOLD
        self.codes = _assign_codes(people)
        self.context: frozenset[str] = frozenset()
        self.made: list[tuple[str, str, str]] = []
        self.third_parties: dict[str, str] = {}  # folded spelling → 第三者n
        self.extra_terms: list[tuple[str, ExtraTerm]] = []
        for term in extra_terms:
            key = self._fold(term.text)
            for hon in self.vocab.honorifics:  # 「佐藤さん」 is the name 佐藤
                if key.endswith(hon) and len(key) > len(hon):
                    key = key[:-len(hon)]
                    break
            if key and key not in dict(self.extra_terms):
                self.extra_terms.append((key, term))
        self.extra_codes: dict[str, str] = {}
        self.extra_found: set[str] = set()
        self._extra_keys = {key for key, _ in self.extra_terms}
        self._births = {p.birth_date for p in people if p.birth_date}
        self._persons = self._person_terms(people)
        # Staff, agency and member names stay, and so do ordinary expressions (お母さん). An
        # agency name (or a member label 「氏名（所属）」) also keeps the words inside it
        # (包括さん); staff are called by their family name (連携さん).
        self._keep_names: list[str] = []
        self._staff_pieces: set[str] = set()
        keep_keys = list(self.vocab.kept_expressions)
        people_named = list(staff_names)
        for label in keep_names:
            labelled = _LABEL.fullmatch((label or "").strip())
            if labelled:  # 民生 委員（民生委員・児童委員協議会）: maybe a person and their body
                people_named.append(labelled.group(1))
            keep_keys.append(self._fold(label))
            body = self._fold(labelled.group(2) if labelled else label)
            if len(body) >= 2:  # the words of an agency's name stay too (包括さん)
                self._keep_names.append(body)
                keep_keys.append(body)
        for name in people_named:
            if len(self._fold(name)) >= 2:
                keep_keys.append(self._fold(name))
            self._staff_pieces.update(self._fold(x) for x in _split_name(name)[:1])
        self._keep = _Literals()
        for key in dict.fromkeys(k for k in keep_keys if k):
            self._keep.add(_Term(key, "", set(), True))
        self._keep.freeze()
        self._cases = _Literals()
        for number, code in (case_numbers or {}).items():
            if self._fold(number):
                self._cases.add(_Term(self._fold(number), KIND_CASE, {code}, True))
        self._cases.freeze()
        self._index = self._name_index(final=False)
        self._learned = False

    def _fold(self, text: str) -> str:
        return fold(text, self._table)

    # -- terms

    def _person_terms(self, people: Sequence[PersonInfo]) -> dict[str, _Term]:
        """Every spelling of every person: the full name in kanji, in ふりがな and mixed
        (family in kanji, given in kana …), each piece alone, and the address below the town."""
        terms: dict[str, _Term] = {}

        def add(key: str, kind: str, owner: str, anywhere: bool) -> None:
            if not key:
                return
            term = terms.get(key)
            if term is None:
                terms[key] = _Term(key, kind, {owner}, anywhere)
            elif term.kind == kind:
                term.owners.add(owner)
                term.anywhere = term.anywhere or anywhere

        for p in people:
            code = self.codes[p.key]
            names, kanas = _split_name(p.name), _split_name(p.kana)
            add(self._fold(p.name), KIND_NAME, code, True)
            add(self._fold(p.kana), KIND_NAME, code, True)
            if len(names) == 2 and len(kanas) == 2:
                for family in (names[0], kanas[0]):
                    for given in (names[1], kanas[1]):
                        add(self._fold(family + given), KIND_NAME, code, True)
            for piece in names + kanas:
                add(self._fold(piece), KIND_NAME, code, False)
            tail = _address_tail(p.address)
            if len(self._fold(tail)) >= 4:
                add(self._fold(tail), KIND_ADDRESS, ADDRESS_MASK, True)
        return terms

    def _name_index(self, final: bool) -> _Literals:
        """The people; once learned, also the third parties and the added terms (an added
        term that is a third party's spelling keeps that third party's code)."""
        index = _Literals()
        for term in self._persons.values():
            index.add(term)
        if final:
            for key, code in self.third_parties.items():
                if key not in self._persons:
                    index.add(_Term(key, KIND_THIRD, {code}, False))
            taken = set(self._persons) | set(self.third_parties)
            for key, _term in self.extra_terms:
                if key not in taken:
                    index.add(_Term(key, KIND_ADDED, {self.extra_codes[key]}, True))
        return index.freeze()

    # -- learning the third parties

    def learn(self, texts: Iterable[str]) -> None:
        """Find the third parties in every text (in order), group the spellings of one person
        (佐藤花子さん … 佐藤さん … 花子さん) and number them; then number the added terms
        that are to be third parties, in the order they were added."""
        found: dict[str, None] = {}
        for value in texts:
            if value and isinstance(value, str):
                for key in self._detect(self._prepare(value)):
                    found.setdefault(key)
        self.third_parties = _group(list(found))
        number = len(set(self.third_parties.values()))
        for key, term in self.extra_terms:
            if key in self.third_parties:
                self.extra_codes[key] = self.third_parties[key]
            elif term.third_party:
                number += 1
                self.extra_codes[key] = third_party_code(number)
            else:
                self.extra_codes[key] = FUSEJI
        self._index = self._name_index(final=True)
        self._learned = True

    def _detect(self, t: _Text) -> list[str]:
        """Names before an honorific, and names after a role word that start with a common
        surname, in what the people, protected words and masks left free; in text order."""
        v = self.vocab
        k, h = t.k, t.h
        found: list[tuple[int, str]] = []
        for m in _RUN.finditer(k):
            start, end = m.start(), m.end()
            segment = start
            if _IS_KANJI.match(k, start):  # a kanji honorific (様, 氏, 先生) inside the run
                for p in range(start + 1, end):
                    hon = self._honorific_at(h, p)
                    if hon:
                        self._candidate(t, segment, p, hon, found)
                        segment = p + hon
            if segment < end:
                hon = self._honorific_at(h, end)
                if hon:
                    self._candidate(t, segment, end, hon, found)
        for m in _SURNAME_KANA.finditer(k):  # 佐藤まゆみさん: a surname, a given name in kana
            if h[m.start():m.end(1)] not in v.surname_set:
                continue
            for end in range(m.end(1) + 1, m.end() + 1):
                hon = self._honorific_at(h, end)
                if hon:
                    self._candidate(t, m.start(), end, hon, found)
                    break
        for m in v.role_re.finditer(h):
            p = m.end()
            kana = _HIRA_RUN.match(k, p)
            if kana:  # 長女のさくらちゃん: a given name in hiragana after a role word
                stop = next((q for q in range(p + 2, min(kana.end(), p + 6) + 1)
                             if self._honorific_at(h, q)), None)
                if stop is not None:
                    self._candidate(t, p, stop, self._honorific_at(h, stop), found)
                continue
            run = _KANJI_RUN.match(k, p)
            if run is None:
                continue
            surname = next((h[p:p + n] for n in range(min(v.surname_length, run.end() - p), 1, -1)
                            if h[p:p + n] in v.surname_set), None)
            if surname is None:
                continue
            after = p + len(surname)
            if any(ch in v.place_endings for ch in h[after:run.end()]):
                continue  # 大家の中村町 …: a place, not a person
            end = run.end() if run.end() - after <= 3 else after
            end = next((q for q in range(after, end) if self._honorific_at(h, q)), end)
            for suffix in v.name_suffixes:
                if end - len(suffix) >= after and h.endswith(suffix, 0, end):
                    end -= len(suffix)
                    break
            if not self._honorific_at(h, end):  # with an honorific it was found above
                self._candidate(t, p, end, 0, found)
        return [key for _, key in sorted(found)]

    def _candidate(self, t: _Text, start: int, end: int, hon: int,
                   found: list[tuple[int, str]]) -> None:
        v = self.vocab
        k, h = t.k, t.h
        if not t.free(end, end + hon):
            return
        claimed = [i for i in range(start, end) if t.claimed[i]]
        if claimed:
            start = claimed[-1] + 1
        if start >= end:
            return
        if (start > 0 and h[start - 1] in v.honorific_prefixes) or k[start] == "御":
            return  # お母さん, ご主人様
        for role in v.role_words:
            if h.startswith(role, start) and end - start - len(role) >= 2:
                start += len(role)  # 民生委員山本氏 → 山本
                break
        key = h[start:end]
        if len(key) > 10 or key in v.role_words or key in self._persons \
                or key in self._staff_pieces or any(key in name for name in self._keep_names):
            return
        if any(h[end - n:end] in v.not_names for n in range(len(key), min(end, 12) + 1)):
            return  # 本人さん, and ママ友さん as well as 友さん
        if key.endswith(v.not_name_endings):
            return  # 職員さん, 校長先生, デイサービスさん
        found.append((start, key))

    # -- matching

    def _honorific_at(self, h: str, pos: int) -> int:
        for hon in self.vocab.honorifics:
            if h.startswith(hon, pos):
                after = h[pos + len(hon):pos + len(hon) + 1]
                if after and after in self.vocab.not_honorific_before.get(hon, ""):
                    continue  # 様子, 氏名
                return len(hon)
        return 0

    def _role_before(self, h: str, pos: int) -> bool:
        return self.vocab.role_end_re.search(h, max(0, pos - 16), pos) is not None

    def _fits(self, t: _Text, term: _Term, start: int, end: int, hon: int) -> bool:
        """A name piece needs an honorific, a role word before it, or (unless it is one kanji
        or two hiragana) to stand on its own: 福山 in 「福山市」 or 「西福山」 is a place."""
        if term.anywhere or hon or self._role_before(t.h, start):
            return True
        k, h = t.k, t.h
        piece = k[start:end]
        if len(piece) == 1 or (len(piece) <= 2 and all(_IS_HIRA.match(c) for c in piece)):
            return False
        if start > 0:
            before = k[start - 1]
            if (_IS_KANJI.match(piece[0]) and _IS_KANJI.match(before)) or \
                    (_IS_KATA.match(piece[0]) and _IS_KATA.match(before)):
                return False
        if end < len(k):
            after = k[end]
            if _IS_KATA.match(piece[-1]) and _IS_KATA.match(after):
                return False
            if _IS_KANJI.match(piece[-1]) and _IS_KANJI.match(after) and \
                    not any(h.startswith(s, end) for s in self.vocab.name_suffixes):
                return False
        return True

    def _resolve(self, term: _Term) -> str:
        if len(term.owners) == 1:
            return next(iter(term.owners))
        mine = term.owners & self.context
        return next(iter(mine)) if len(mine) == 1 else NAME_MASK

    def _prepare(self, value: str) -> _Text:
        """Protected words, case numbers, birth dates, phone numbers and names claimed."""
        t = _Text(value, self._table)
        self._protect(t)
        self._literal_pass(t, self._cases)
        for m in _CASE_NO_RE.finditer(t.k):
            t.claim(m.start(), m.end(), CASE_NO_MASK, KIND_CASE)
        self._dates(t)
        for m in _PHONE_RE.finditer(t.k):
            if sum(c.isdigit() for c in m.group()) in (10, 11):
                t.claim(m.start(), m.end(), PHONE_MASK, KIND_PHONE)
        self._literal_pass(t, self._index)
        return t

    def _protect(self, t: _Text) -> None:
        """Kept expressions and member names, unless they hold a term the coordinator added."""
        h = t.h
        extras = [key for key, _ in self.extra_terms]
        i = self._keep.next_at(h, 0)
        while i >= 0:
            nxt = i + 1
            for key, _term in self._keep.by_first[h[i]]:
                end = i + len(key)
                if h.startswith(key, i) and not any(x in h[i:end] for x in extras):
                    t.claim(i, end, None, "")
                    nxt = end
                    break
            i = self._keep.next_at(h, nxt)

    def _literal_pass(self, t: _Text, literals: _Literals) -> None:
        """Longest spelling first at each position; a code takes its honorific with it
        (「トメさん」 → 「A氏」), a mask leaves it (「（伏字）さん」)."""
        h = t.h
        i = literals.next_at(h, 0)
        while i >= 0:
            nxt = i + 1
            for key, term in literals.by_first[h[i]]:
                end = i + len(key)
                if not h.startswith(key, i) or not t.free(i, end):
                    continue
                hon = self._honorific_at(h, end) if term.kind in (KIND_NAME, KIND_THIRD,
                                                                  KIND_ADDED) else 0
                if not self._fits(t, term, i, end, hon):
                    continue
                replacement = self._resolve(term)
                if key in self._extra_keys:  # as itself, a person's or a third party's spelling
                    self.extra_found.add(key)
                if hon and _is_code(replacement) and t.free(end, end + hon):
                    end += hon
                t.claim(i, end, replacement, term.kind)
                nxt = end
                break
            i = literals.next_at(h, nxt)

    def _dates(self, t: _Text) -> None:
        """A date is a birth date when it is one of the packet's people's, or is written
        before 生まれ / 生 or after 生年月日; a year or a day before 生まれ is masked too."""
        k = t.k
        for m in _DATE_RE.finditer(k):
            written = m.group()
            try:
                d = parse_date(written)
            except UserError:
                continue
            label = k[max(0, m.start() - 6):m.start()].rstrip(":は")
            if d in self._births or (not written.isdigit() and (
                    _BORN_AFTER.match(k, m.end()) is not None or label.endswith(_BIRTH_LABELS))):
                t.claim(m.start(), m.end(), BIRTH_MASK, KIND_BIRTH)
        for m in _BORN_PARTIAL_RE.finditer(k):
            t.claim(m.start(), m.end(), BIRTH_MASK, KIND_BIRTH)

    def text(self, value: str) -> str:
        """The redacted text; what was replaced is in `self.made` afterwards."""
        self.made = []
        if not value or not isinstance(value, str):
            return value
        if not self._learned:
            self.learn([])
        t = self._prepare(value)
        for m in _ADDRESS_RE.finditer(t.k):
            if not _ISO_LIKE.fullmatch(m.group()):
                t.claim(m.start(), m.end(), ADDRESS_MASK, KIND_ADDRESS)
        for m in _AGE_RE.finditer(t.k):
            t.claim(m.start(), m.end(), age_band(int(m.group(2))), KIND_AGE)
        out, self.made = t.result()
        return out

    # -- the structured fields of a person

    def person(self, p: PersonInfo) -> list[tuple[str, str, str]]:
        """Code, town-level address, masks and the age band; returns what was replaced."""
        made: list[tuple[str, str, str]] = []
        code = self.codes[p.key]
        if p.name:
            made.append((p.name, code, KIND_NAME))
        p.name = code
        if p.kana:
            made.append((p.kana, HIDDEN, KIND_KANA))
        p.kana = ""
        if p.address.strip():
            town = _town(p.address)
            redacted = town + ADDRESS_MASK if town != p.address.strip() else p.address
            if redacted != p.address:
                made.append((p.address, redacted, KIND_ADDRESS))
            p.address = redacted
        if p.phone:
            made.append((p.phone, PHONE_MASK, KIND_PHONE))
            p.phone = PHONE_MASK
        if p.birth_date:
            made.append((to_wareki(p.birth_date), BIRTH_MASK, KIND_BIRTH))
        p.birth_date = None
        p.birth_text = BIRTH_MASK
        p.age_text = age_band(p.age)
        if p.age is not None:
            made.append((f"{p.age}歳", p.age_text, KIND_AGE))
        p.age = None
        return made


def _assign_codes(people: Sequence[PersonInfo]) -> dict[str, str]:
    """A code per person in order of appearance. The 来談者 has no record of their own: when
    their name is that of someone already coded (the husband in the household), they share
    that person's code."""
    codes: dict[str, str] = {}
    by_name: dict[str, str] = {}
    for p in people:
        if p.key in codes:
            continue
        name = fold(p.name)
        if p.key.startswith("visitor") and name in by_name:
            codes[p.key] = codes[by_name[name]]
            continue
        codes[p.key] = code_name(len(set(codes.values())))
        if name:
            by_name.setdefault(name, p.key)
    return codes


def _group(keys: list[str]) -> dict[str, str]:
    """Third-party spellings → 第三者n. A spelling that is the start (family name) or the end
    (given name, two characters or more) of exactly one longer spelling is the same person;
    numbers follow the first appearance of any spelling of the person."""
    root: dict[str, str] = {}
    for key in sorted(keys, key=len, reverse=True):
        longer = {root[other] for other in root if len(other) > len(key)
                  and (other.startswith(key) or (len(key) >= 2 and other.endswith(key)))}
        root[key] = longer.pop() if len(longer) == 1 else key
    numbers: dict[str, int] = {}
    for key in keys:
        numbers.setdefault(root[key], len(numbers) + 1)
    return {key: third_party_code(numbers[root[key]]) for key in keys}


_TOWN_END = re.compile(r"[\s0-9０-９]|[一二三四五六七八九十]+(?:丁目|番(?!町))")


def _town(address: str) -> str:
    """The address down to the town (町名): everything before the first number or space."""
    address = (address or "").strip()
    m = _TOWN_END.search(address)
    return address[:m.start()].strip() if m else address


def _address_tail(address: str) -> str:
    address = (address or "").strip()
    return address[len(_town(address)):].strip()


# ----------------------------------------------------------------------------- the packet


@dataclass(frozen=True)
class Replacement:
    """One line of the preview: a spelling as it appears, what it becomes, and where."""

    original: str
    replacement: str
    kind: str
    part: str
    case: str
    places: tuple[str, ...]
    count: int

    @property
    def where(self) -> str:
        """「第1部・事例1（K-2025-0001）：本人、メモ（2か所）」 (the part by its number)."""
        part = self.part.split("　")[0]
        text = f"{part}・{self.case}：" + "、".join(self.places)
        return text + (f"（{self.count}か所）" if self.count > 1 else "")


class PacketRedaction:
    """A redacted copy of a packet (`packet`) and the log of every replacement it made
    (`replacements`). `part_ids` limits redaction to those parts (the others are kept).
    Codes are assigned over ALL people of the packet so a person keeps one code everywhere."""

    def __init__(self, packet: Packet, part_ids: set[int] | None = None, *,
                 extra_terms: Iterable[ExtraTerm] = (),
                 vocabulary: Vocabulary | None = None) -> None:
        out = copy.deepcopy(packet)
        parts = [p for p in out.parts if part_ids is None or p.part_id in part_ids]
        people = [p for part in out.parts for case in part.cases for p in case.everyone()]
        case_codes: dict[int, str] = {}
        for part in parts:
            for case in part.cases:
                case_codes.setdefault(case.case_id, f"事例{len(case_codes) + 1}")
        numbers = {case.case_no: case_codes[case.case_id] for part in parts
                   for case in part.cases if case.case_no}
        self.redactor = r = Redactor(people, vocabulary=vocabulary, keep_names=packet.keep_names,
                                     staff_names=packet.staff_names, extra_terms=extra_terms,
                                     case_numbers=numbers)
        texts: list[str] = []

        def collect(place: str, text: str) -> str:
            texts.append(text)
            return text

        for part in parts:
            for case in part.cases:
                _walk_case(case, collect)  # gives every text back unchanged
        r.learn(texts)
        self._log: dict[tuple[str, str, str, str, str], list] = {}
        for part in parts:
            part.redacted = True
            for case in part.cases:
                self._case(part.heading, case, case_codes[case.case_id])
        self.packet = out
        self.replacements = [Replacement(original, replacement, kind, part, case,
                                         tuple(dict.fromkeys(places)), count)
                             for (part, case, original, replacement, kind), (places, count)
                             in self._log.items()]
        self.extra_terms = tuple(term for _, term in r.extra_terms)
        self.unmatched_terms = [term.text for key, term in r.extra_terms
                                if key not in r.extra_found]

    @property
    def count(self) -> int:
        return sum(r.count for r in self.replacements)

    @property
    def third_party_count(self) -> int:
        r = self.redactor
        return len(set(r.third_parties.values())
                   | {c for c in r.extra_codes.values() if c.startswith("第三者")})

    @property
    def fingerprint(self) -> str:
        rows = [[r.original, r.replacement, r.kind, r.part, r.case, list(r.places), r.count]
                for r in self.replacements]
        body = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(body.encode("utf-8")).hexdigest()

    def _record(self, part: str, case: str, place: str,
                made: list[tuple[str, str, str]]) -> None:
        for original, replacement, kind in made:
            entry = self._log.setdefault((part, case, original, replacement, kind), [[], 0])
            entry[0].append(place)
            entry[1] += 1

    def _case(self, heading: str, case: CasePacket, case_code: str) -> None:
        r = self.redactor
        label = f"{case_code}（{case.case_no}）" if case.case_no else case_code
        r.context = frozenset(r.codes[p.key] for p in case.everyone())
        if case.case_no:
            self._record(heading, label, "ケース番号", [(case.case_no, case_code, KIND_CASE)])
        case.case_no = case_code
        self._record(heading, label, "本人", r.person(case.person))
        for member in case.household:
            self._record(heading, label, f"世帯（{member.relation}）", r.person(member))
        if case.visitor is not None:
            self._record(heading, label, "来談者", r.person(case.visitor))

        def scrub(place: str, text: str) -> str:
            out = r.text(text)
            self._record(heading, label, place, r.made)
            return out

        _walk_case(case, scrub)


def _walk_case(case: CasePacket, fn: Callable[[str, str], str]) -> None:
    """Every free text of a case, in the order the packet prints them: fn(place, text)."""
    def each(place: str, value):
        return fn(place, value) if isinstance(value, str) and value else value

    case.wishes = each("相談したいこと", case.wishes)
    case.worries_by_field = [(f, [each(f"困りごと（{f}）", w) for w in ws])
                             for f, ws in case.worries_by_field]
    case.hearings = [(label, each(label, text)) for label, text in case.hearings]
    case.assessment = each("受付者の見立て", case.assessment)
    case.notes = each("メモ", case.notes)
    for h in case.handoffs:
        h.reason = each("つなぎの理由", h.reason)
        h.request = each("つなぎの依頼内容", h.request)
        h.last_note = each("つなぎの最新の対応", h.last_note)
    if case.plan is not None:
        _walk_plan(case.plan, each)


def _walk_plan(plan: PlanBlock, each: Callable[[str, object], object]) -> None:
    plan.fields = [(label, str(each(f"支援プラン（{label}）", text))) for label, text in plan.fields]
    plan.issues = [{k: each("支援プラン（課題の整理）", v) for k, v in row.items()}
                   for row in plan.issues]
    plan.roles = [{k: each("支援プラン（役割分担）", v) for k, v in row.items()}
                  for row in plan.roles]


def redact_packet(packet: Packet, part_ids: set[int] | None = None, *,
                  extra_terms: Iterable[ExtraTerm] = (),
                  vocabulary: Vocabulary | None = None) -> Packet:
    """A redacted copy of the packet (see PacketRedaction for the log of replacements)."""
    return PacketRedaction(packet, part_ids, extra_terms=extra_terms,
                           vocabulary=vocabulary).packet
