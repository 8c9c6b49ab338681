"""Redacted packets (after CiviCase's "Redact"): every person in the packet gets a stable code
(A氏, B氏 … the same person keeps the same code through the whole packet, in every part);
addresses, phone numbers and birth dates are removed; ages become bands; case numbers become
事例1, 事例2 …. Names of the people on the agenda (the person and household members) are also
replaced inside free text, as are phone numbers, their addresses and their birth dates.

Staff and agency names stay: they are the members, not the subject of the meeting.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Callable
from datetime import date

from kodoku_desk.domain.dates import to_wareki
from kodoku_desk.domain.text import kata_to_hira
from kodoku_desk.exports.packet_model import CasePacket, Packet, PersonInfo, PlanBlock

ADDRESS_MASK = "（住所非表示）"
PHONE_MASK = "（電話番号非表示）"
BIRTH_MASK = "（生年月日非表示）"
NAME_MASK = "（氏名非表示）"
HONORIFICS = ("さん", "くん", "君", "ちゃん", "氏", "様", "さま")

_DIGIT = "[0-9０-９]"
_SEP = "[-‐－―ー−()（）\\s]?"
PHONE_RE = re.compile(rf"(?<![0-9０-９])0{_DIGIT}{{1,4}}{_SEP}{_DIGIT}{{1,4}}{_SEP}{_DIGIT}{{3,4}}(?![0-9０-９])")
# A date written just before 生まれ / 生 (any format) is a birth date even if not one we know.
BORN_RE = re.compile(
    r"(?:(?:令和|平成|昭和|大正|明治|[RHSTMrhstm])\s*(?:元|[0-9０-９]{1,2})|[0-9０-９]{4})"
    r"\s*[年./\-／]\s*[0-9０-９]{1,2}\s*[月./\-／]\s*[0-9０-９]{1,2}\s*日?\s*(?=生)")

AGE_RE = re.compile(r"(?<![0-9])([0-9]{1,3})\s*歳(?!代|未満)")
CODE_HONORIFIC_RE = re.compile(r"([A-Z]+氏)(?:さん|くん|君|ちゃん|様|さま)")


def code_name(index: int) -> str:
    """0 → A氏, 25 → Z氏, 26 → AA氏 …"""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return f"{letters}氏"


def age_band(age: int | None) -> str:
    if age is None:
        return "年齢不明"
    if age < 10:
        return "10歳未満"
    if age < 20:
        return "10歳代" + ("（18歳未満）" if age < 18 else "")
    return f"{age // 10 * 10}歳代"


def _spellings(text: str) -> set[str]:
    """A name as it may be written: with or without spaces, hiragana or katakana."""
    if not text:
        return set()
    base = unicodedata.normalize("NFKC", text).strip()
    forms = {base, re.sub(r"\s+", "", base), re.sub(r"\s+", "\u3000", base), re.sub(r"\s+", " ", base)}
    hira = {kata_to_hira(f) for f in forms}
    kata = {"".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in f) for f in hira}
    return {f for f in forms | hira | kata if f}


def _birth_spellings(d: date) -> set[str]:
    wareki = to_wareki(d)
    short = {"令和": "R", "平成": "H", "昭和": "S", "大正": "T", "明治": "M"}
    era_short = short[wareki[:2]] + wareki[2:].replace("元", "1").replace("年", ".") \
        .replace("月", ".").replace("日", "")
    return {wareki, era_short, d.isoformat(), f"{d.year}/{d.month}/{d.day}",
            f"{d.year}年{d.month}月{d.day}日", d.strftime("%Y/%m/%d"), f"{d.year}.{d.month}.{d.day}"}


def _address_spellings(address: str) -> set[str]:
    address = unicodedata.normalize("NFKC", address or "").strip()
    if not address:
        return set()
    forms = {address}
    tail = re.split(r"(?<=[都道府県市区郡])", address)
    for i in range(1, len(tail)):
        rest = "".join(tail[i:])
        if len(rest) >= 4:
            forms.add(rest)
    return forms


class Redactor:
    """Codes for the people of one packet and a text scrubber that knows their details."""

    def __init__(self, people: list[PersonInfo]) -> None:
        self.codes: dict[str, str] = {}
        for p in people:
            if p.key not in self.codes:
                self.codes[p.key] = code_name(len(self.codes))
        self._replacements = self._build(people)

    def _build(self, people: list[PersonInfo]) -> list[tuple[re.Pattern, str]]:
        whole: dict[str, str] = {}
        part_owner: dict[str, set[str]] = {}
        masks: dict[str, str] = {}
        for p in people:
            code = self.codes[p.key]
            for form in _spellings(p.name) | _spellings(p.kana):
                whole[form] = code
            for source in (p.name, p.kana):
                for piece in re.split(r"[\s\u3000]+", unicodedata.normalize("NFKC", source).strip()):
                    for form in _spellings(piece):
                        part_owner.setdefault(form, set()).add(code)
            for form in _address_spellings(p.address):
                masks[form] = ADDRESS_MASK
            if p.birth_date:
                for form in _birth_spellings(p.birth_date):
                    masks[form] = BIRTH_MASK
        rules: list[tuple[str, str, bool]] = []  # (literal, replacement, needs honorific)
        rules += [(k, v, False) for k, v in masks.items()]
        rules += [(k, v, False) for k, v in whole.items()]
        for form, owners in part_owner.items():
            if form in whole:
                continue
            replacement = next(iter(owners)) if len(owners) == 1 else NAME_MASK
            rules.append((form, replacement, _short(form)))
        rules.sort(key=lambda r: len(r[0]), reverse=True)  # longest first: 山田太郎 before 山田
        compiled = []
        for literal, replacement, needs_honorific in rules:
            tail = "(?=" + "|".join(HONORIFICS) + ")" if needs_honorific else ""
            compiled.append((re.compile(re.escape(literal) + tail), replacement))
        return compiled

    def text(self, value: str) -> str:
        if not value:
            return value
        out = unicodedata.normalize("NFKC", value) if _needs_nfkc(value) else value
        out = BORN_RE.sub(BIRTH_MASK, out)
        for pattern, replacement in self._replacements:
            out = pattern.sub(replacement, out)
        out = PHONE_RE.sub(PHONE_MASK, out)
        out = AGE_RE.sub(lambda m: age_band(int(m.group(1))), out)
        return CODE_HONORIFIC_RE.sub(r"\1", out)

    def person(self, p: PersonInfo) -> None:
        p.name = self.codes[p.key]
        p.kana = ""
        p.address = ADDRESS_MASK if p.address else ""
        p.phone = PHONE_MASK if p.phone else ""
        p.birth_date = None
        p.birth_text = BIRTH_MASK
        p.age_text = age_band(p.age)
        p.age = None


def _short(piece: str) -> bool:
    """A one-kanji or two-kana name piece also occurs inside ordinary words (翔ぶ, いとこ):
    replace it only before an honorific (さん, くん …)."""
    kana = all("ぁ" <= ch <= "ヿ" for ch in piece)
    return len(piece) < (3 if kana else 2)


def _needs_nfkc(value: str) -> bool:
    """Full-width digits and spaces hide phone numbers and names from the patterns."""
    return any("０" <= ch <= "９" or ch == "\u3000" for ch in value)


def redact_packet(packet: Packet, part_ids: set[int] | None = None) -> Packet:
    """A redacted copy of the packet; `part_ids` limits redaction to those parts (others kept).
    Codes are assigned over ALL people of the packet so a person keeps one code everywhere."""
    out = copy.deepcopy(packet)
    people = [p for part in out.parts for case in part.cases for p in case.everyone()]
    redactor = Redactor(people)
    number = 0
    case_codes: dict[int, str] = {}
    for part in out.parts:
        if part_ids is not None and part.part_id not in part_ids:
            continue
        part.redacted = True
        for case in part.cases:
            if case.case_id not in case_codes:
                number += 1
                case_codes[case.case_id] = f"事例{number}"
            _redact_case(case, redactor, case_codes[case.case_id])
    return out


def _redact_case(case: CasePacket, r: Redactor, case_code: str) -> None:
    scrub: Callable[[str], str] = r.text
    case.case_no = case_code
    for p in case.everyone():
        r.person(p)
    case.wishes, case.assessment, case.notes = scrub(case.wishes), scrub(case.assessment), \
        scrub(case.notes)
    case.hearings = [(label, scrub(text)) for label, text in case.hearings]
    case.worries_by_field = [(f, [scrub(w) for w in ws]) for f, ws in case.worries_by_field]
    for h in case.handoffs:
        h.reason, h.request, h.last_note = scrub(h.reason), scrub(h.request), scrub(h.last_note)
    if case.plan is not None:
        _redact_plan(case.plan, scrub)


def _redact_plan(plan: PlanBlock, scrub: Callable[[str], str]) -> None:
    plan.fields = [(label, scrub(text)) for label, text in plan.fields]
    plan.issues = [{k: scrub(v) for k, v in row.items()} for row in plan.issues]
    plan.roles = [{k: scrub(v) for k, v in row.items()} for row in plan.roles]
