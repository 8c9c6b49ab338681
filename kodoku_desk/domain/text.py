"""Text normalisation for search and duplicate checks: NFKC (width), katakana → hiragana,
no spaces, hyphens or long-vowel variants in phone numbers. One rule, used by the GUI search,
the CLI `--query` and the stored search keys alike. And the one rule for characters no stored
text may hold (hidden_char: controls, bidi overrides, zero-width format characters)."""

from __future__ import annotations

import re
import unicodedata

_KATA_START, _KATA_END = ord("ァ"), ord("ヶ")
_SPACES = re.compile(r"[\s\u3000]+")
_PHONE_DROP = re.compile(r"[^0-9]")


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


# Characters a person may type but that must not reach a stored text: every control (Cc) and
# format (Cf) character, which display as nothing or reorder what is displayed (C1 controls such
# as CSI U+009B and NEL U+0085; the bidi overrides and isolates U+202A–202E, U+2066–2069 that
# make a name read differently from what is stored — "Trojan Source"; BOM U+FEFF; zero-width
# space U+200B), plus lone surrogates (Cs, which cannot be stored as UTF-8) and the line and
# paragraph separators U+2028/2029 (a hidden line break). Allowed: tab, newline and CR (CRLF line
# ends; single-line fields fold every line break into a space), and the zero-width joiner and
# non-joiner U+200D/U+200C, which emoji sequences and some scripts need to be written at all
# (they join or keep apart glyphs but never reorder text). Variation selectors (U+FE00–FE0F,
# U+E0100–E01EF: the 異体字 of a name in 戸籍) are category Mn, so they are allowed too.
_ALLOWED_CONTROLS = frozenset("\t\n\r\u200c\u200d")
_REFUSED_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Zl", "Zp"))


def hidden_char(text: str) -> int | None:
    """The first character of `text` that is invisible or reorders the display (see above),
    as a code point; None when there is none. The one rule for every text input."""
    for ch in text:
        if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) in _REFUSED_CATEGORIES:
            return ord(ch)
    return None


def hidden_char_message(label: str, code_point: int) -> str:
    """The sentence for hidden_char(): names the field and the character."""
    return (f"「{label}」に表示できない制御文字（U+{code_point:04X}）が含まれています。"
            "取り除いてから入力してください。")


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

