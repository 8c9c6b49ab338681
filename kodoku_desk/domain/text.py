"""Text normalisation for search and duplicate checks: NFKC (width), katakana → hiragana,
no spaces, hyphens or long-vowel variants in phone numbers. One rule, used by the GUI search,
the CLI `--query` and the stored search keys alike."""

from __future__ import annotations

import re
import unicodedata

_KATA_START, _KATA_END = ord("ァ"), ord("ヶ")
_SPACES = re.compile(r"[\s\u3000]+")
_PHONE_DROP = re.compile(r"[^0-9]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def kata_to_hira(text: str) -> str:
    return "".join(
        chr(ord(ch) - 0x60) if _KATA_START <= ord(ch) <= _KATA_END else ch for ch in text
    )


def search_key(text: str | None) -> str:
    """Width-, kana- and space-insensitive form: 'ﾔﾏﾀﾞ ﾀﾛｳ' == 'やまだたろう' == 'ヤマダ　タロウ'."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    return kata_to_hira(_SPACES.sub("", text)).lower()


def phone_key(text: str | None) -> str:
    if not text:
        return ""
    return _PHONE_DROP.sub("", unicodedata.normalize("NFKC", text))


def has_control_chars(text: str) -> bool:
    """Tabs and newlines are fine in free text; other control characters are not."""
    return bool(_CONTROL.search(text))


def case_search_text(case_no: str, name: str, kana: str, phone: str) -> str:
    """The stored Case.search_text: normalised parts joined by '|' so a query matches within
    one part. Queries are normalised with search_key()/phone_key() and matched with LIKE."""
    return "|".join((search_key(case_no), search_key(name), search_key(kana), phone_key(phone)))


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PHONE_LIKE = re.compile(r"[0-9０-９][0-9０-９\-－‐ー−()（）\s]{7,}[0-9０-９]")


def case_notes_text(sheets) -> str:
    """What the case's sheets say, normalised like search_key(), for the free-text index:
    sheets is an iterable of (worries, answers). Every text value of the answers (困りごと,
    相談したいこと, 聞き取り, 見立て, 備考, choices …) except dates; phone numbers also as bare
    digits, so a phone query finds a mobile number written on the sheet. Parts are joined and
    ended by '|', so a query matches within one part, and every character is followed by
    another (a two-character word is then the start of some trigram: store.search_index)."""
    parts: list[str] = []
    for worries, answers in sheets:
        parts.extend(w for w in (worries or []) if isinstance(w, str))
        for value in (answers or {}).values():
            for item in value if isinstance(value, list) else (value,):
                if not isinstance(item, str) or not item or _ISO_DATE.fullmatch(item):
                    continue
                parts.append(item.replace("|", " "))
                if _PHONE_LIKE.fullmatch(item):
                    parts.append(phone_key(item))
    text = search_key("|".join(dict.fromkeys(parts)))
    return text + "|" if text else ""

