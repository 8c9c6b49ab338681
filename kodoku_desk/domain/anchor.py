"""The anchor code (照合コード): the heads of the audit chain and of the history chain, written
down on paper once a month and read back over the phone.

    A1234-H5678-MP9T-VJPQ-68DW-JW7E-F
    │     │     └─ 16 characters: 80 bits of SHA-256 over both positions and both head hashes
    │     └─ the history chain's position (its last link)
    └─ the audit chain's position (its last entry)
                                       └─ a check character (Luhn mod 32 over everything before)

Characters are Crockford's base 32 (digits and letters without I, L, O, U); reading back,
O is taken for 0 and I or L for 1, case, spaces, hyphens and full-width forms do not matter.
The check character catches any one mistyped character and most swaps of two neighbours.
Pure rules: no database (services.maintenance reads the heads and compares).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from kodoku_desk.errors import UserError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DIGEST_CHARS = 16  # 80 bits
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_DASHES = re.compile(r"[\s\-‐‑–—−ー－_・.]+")
_SHAPE = re.compile(rf"A(\d+)H(\d+)([{ALPHABET}]{{{DIGEST_CHARS}}})([{ALPHABET}])")
EXAMPLE = "A1234-H5678-MP9T-VJPQ-68DW-JW7E-F"
FORMAT_MESSAGE = (f"照合コードの形式が違います（例: {EXAMPLE}。A の後に監査ログの番号、H の後に"
                  "履歴の番号、4文字ずつの組が4つと最後に確認の1文字です）。")
CHECK_MESSAGE = "照合コードの確認文字が合いません。読み違い・書き違いがないか確かめてください。"


@dataclass(frozen=True)
class Anchor:
    audit_pos: int
    history_pos: int
    digest: str  # DIGEST_CHARS characters of ALPHABET

    @property
    def code(self) -> str:
        body = f"A{self.audit_pos}H{self.history_pos}{self.digest}"
        d = self.digest
        return (f"A{self.audit_pos}-H{self.history_pos}-{d[0:4]}-{d[4:8]}-{d[8:12]}-{d[12:16]}"
                f"-{check_char(body)}")


def heads_digest(audit_pos: int, audit_hash: str, history_pos: int, history_hash: str) -> str:
    """DIGEST_CHARS base-32 characters of SHA-256 over both positions and both head hashes."""
    body = f"kodoku-desk anchor 1|{audit_pos}|{audit_hash}|{history_pos}|{history_hash}"
    bits = int.from_bytes(hashlib.sha256(body.encode("ascii")).digest()[:10], "big")
    return "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in reversed(range(DIGEST_CHARS)))


def anchor_for(audit_pos: int, audit_hash: str, history_pos: int, history_hash: str) -> Anchor:
    return Anchor(audit_pos, history_pos,
                  heads_digest(audit_pos, audit_hash, history_pos, history_hash))


def _luhn(chars: str, start_factor: int) -> int:
    total, factor = 0, start_factor
    for ch in reversed(chars):
        addend = ALPHABET.index(ch) * factor
        total += addend // 32 + addend % 32
        factor = 3 - factor  # 2, 1, 2, 1 …
    return total % 32


def check_char(chars: str) -> str:
    """Luhn mod 32 check character for `chars` (characters of ALPHABET)."""
    return ALPHABET[(32 - _luhn(chars, 2)) % 32]


def parse(code: str) -> Anchor:
    """The anchor a code names; UserError (one sentence) if it is malformed or misread."""
    text = unicodedata.normalize("NFKC", code or "").upper()
    text = _DASHES.sub("", text).translate(_READ_AS)
    match = _SHAPE.fullmatch(text)
    if match is None:
        raise UserError(FORMAT_MESSAGE, field="anchor")
    if _luhn(text, 1) != 0:
        raise UserError(CHECK_MESSAGE, field="anchor")
    return Anchor(int(match[1]), int(match[2]), match[3])
