"""The 「つながる」シート as a versioned template (docs/DOMAIN.md §3).

The fields live in `resources/sheet_template_v<N>.json`, not in widgets. Each field belongs to a
section (the unit a hand-off's 共有範囲 refers to) and to a part: A 相談者記入 or B 相談受付者記入.
A field with `stored_in` is kept in a column (the Person row, the case, the sheet, household or
consent tables); every other field is kept in Sheet.answers under its key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from kodoku_desk.domain.text import hidden_char, hidden_char_message
from kodoku_desk.errors import UserError
from kodoku_desk.paths import RESOURCES

CURRENT_VERSION = "v1"
PART_LABELS = {"A": "相談者記入", "B": "相談受付者記入"}
FIELD_TYPES = ("text", "multiline", "date", "choice", "multichoice", "worries", "household",
               "consent")
# Free text is for what was heard, not for documents: refuse anything larger (a 10 MB paste is
# a mistake, and it would slow every case view and packet).
MAX_TEXT_BYTES = 1_000_000
WORRY_OTHER = "その他"


@dataclass(frozen=True)
class TemplateField:
    key: str
    label: str
    type: str
    section: str
    part: str
    options: tuple[str, ...] = ()
    help: str = ""
    stored_in: str = ""

    @property
    def in_answers(self) -> bool:
        """True when the value is kept in Sheet.answers (not in a column)."""
        return not self.stored_in


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    part: str
    fields: tuple[TemplateField, ...]


@dataclass(frozen=True)
class SheetTemplate:
    version: str
    title: str
    sections: tuple[Section, ...]
    notes: dict = field(default_factory=dict)

    @property
    def fields(self) -> tuple[TemplateField, ...]:
        return tuple(f for s in self.sections for f in s.fields)

    def section(self, key: str) -> Section:
        for s in self.sections:
            if s.key == key:
                return s
        raise UserError(f"シートの項目グループ「{key}」はこのシート様式（{self.version}）にありません。",
                        field="share")

    def field(self, key: str) -> TemplateField:
        for f in self.fields:
            if f.key == key:
                return f
        raise UserError(f"項目「{key}」はこのシート様式（{self.version}）にありません。", field=key)

    def has_field(self, key: str) -> bool:
        return any(f.key == key for f in self.fields)

    def section_keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.sections)

    def section_labels(self) -> dict[str, str]:
        return {s.key: s.label for s in self.sections}

    def part_sections(self, part: str) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.part == part)

    @property
    def worry_labels(self) -> tuple[str, ...]:
        for f in self.fields:
            if f.type == "worries":
                return f.options
        return ()

    def section_of(self, field_key: str) -> str:
        return self.field(field_key).section


def template_path(version: str) -> Path:
    return RESOURCES / f"sheet_template_{version}.json"


def available_versions() -> list[str]:
    return sorted(p.stem.removeprefix("sheet_template_")
                  for p in RESOURCES.glob("sheet_template_v*.json"))


@lru_cache(maxsize=8)
def load_template(version: str | None = None) -> SheetTemplate:
    """The template of `version` (default: the current one). Raises UserError if missing/broken."""
    version = version or CURRENT_VERSION
    path = template_path(version)
    if not path.exists():
        raise UserError(f"シート様式 {version} が見つかりません（{path.name}）。")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"シート様式 {path.name} の {exc.lineno} 行目が JSON として読めません。") from exc
    return parse_template(raw, path.name)


def parse_template(raw: dict, source: str = "template") -> SheetTemplate:
    sections = []
    seen: set[str] = set()
    for i, s in enumerate(raw.get("sections", [])):
        part = s.get("part")
        if part not in PART_LABELS:
            raise UserError(f"{source}: 項目グループ {i + 1} の part は A か B にしてください。")
        fields = []
        for f in s.get("fields", []):
            if f.get("type") not in FIELD_TYPES or not f.get("key") or f["key"] in seen:
                raise UserError(f"{source}: 項目「{f.get('key')}」の定義が正しくありません"
                                "（key の重複または未知の type）。")
            seen.add(f["key"])
            fields.append(TemplateField(
                key=f["key"], label=f.get("label", f["key"]), type=f["type"], section=s["key"],
                part=part, options=tuple(f.get("options", ())), help=f.get("help", ""),
                stored_in=f.get("stored_in", "")))
        sections.append(Section(s["key"], s.get("label", s["key"]), part, tuple(fields)))
    if not sections:
        raise UserError(f"{source}: 項目グループがありません。")
    return SheetTemplate(str(raw.get("version", CURRENT_VERSION)), raw.get("title", ""),
                         tuple(sections), dict(raw.get("notes", {})))


# --- validation -------------------------------------------------------------------------------

def check_text(value: object, label: str, field_key: str | None = None,
               *, single_line: bool = False) -> str:
    """A free-text value: a string, no hidden characters (domain.text.hidden_char), within the
    size limit. Every text a person or a file gives the services passes here."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise UserError(f"「{label}」は文字で入力してください。", field=field_key)
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > MAX_TEXT_BYTES:
        raise UserError(f"「{label}」が長すぎます（{size / 1_000_000:.1f} MB）。"
                        f"{MAX_TEXT_BYTES // 1_000_000} MB 以内にしてください。", field=field_key)
    code_point = hidden_char(value)
    if code_point is not None:
        raise UserError(hidden_char_message(label, code_point), field=field_key)
    if single_line and ("\n" in value or "\r" in value):
        value = " ".join(value.splitlines())
    return value.strip()


def _check_date(value: object, f: TemplateField) -> str:
    from kodoku_desk.domain.dates import parse_date

    if isinstance(value, date):
        return value.isoformat()
    text = check_text(value, f.label, f.key)
    parsed = parse_date(text, field=f.key)
    return parsed.isoformat() if parsed else ""


def _check_choice(value: object, f: TemplateField) -> str:
    text = check_text(value, f.label, f.key)
    if text and text not in f.options:
        raise UserError(f"「{f.label}」に「{text}」は選べません。選べるのは {'・'.join(f.options)} です。",
                        field=f.key)
    return text


def _check_multichoice(value: object, f: TemplateField) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, (list, tuple)):
        raise UserError(f"「{f.label}」は一覧（リスト）で指定してください。", field=f.key)
    out = []
    for item in value:
        text = check_text(item, f.label, f.key)
        if text not in f.options:
            raise UserError(f"「{f.label}」に「{text}」は選べません。選べるのは {'・'.join(f.options)} です。",
                            field=f.key)
        if text not in out:
            out.append(text)
    return out


def validate_answers(answers: dict, template: SheetTemplate | None = None) -> dict:
    """Checks free answers against the template and returns them normalised (dates ISO,
    empty values dropped). Raises UserError naming the field in Japanese."""
    template = template or load_template()
    if not isinstance(answers, dict):
        raise UserError("回答の形式が正しくありません。", field="answers")
    clean: dict = {}
    for key, value in answers.items():
        if not template.has_field(key):
            raise UserError(f"項目「{key}」はシート様式（{template.version}）にありません。", field=key)
        f = template.field(key)
        if not f.in_answers:
            raise UserError(f"「{f.label}」は専用の欄で入力してください（回答欄には入れられません）。",
                            field=key)
        normalised = _normalise(value, f)
        if normalised not in ("", [], None):
            clean[key] = normalised
    return clean


def _normalise(value: object, f: TemplateField):
    if f.type == "date":
        return _check_date(value, f)
    if f.type == "choice":
        return _check_choice(value, f)
    if f.type == "multichoice":
        return _check_multichoice(value, f)
    return check_text(value, f.label, f.key, single_line=f.type == "text")


def validate_worries(worries: list[str], most_pressing: str = "",
                     template: SheetTemplate | None = None) -> tuple[list[str], str]:
    """Worry labels must be the template's; the most pressing one must be among those marked
    (it is added if the person marked only ◎)."""
    template = template or load_template()
    labels = template.worry_labels
    if not isinstance(worries, (list, tuple)):
        raise UserError("困りごとは一覧（リスト）で指定してください。", field="worries")
    out: list[str] = []
    for w in worries:
        w = check_text(w, "困りごと", "worries")  # never echo a hidden character
        if w not in labels:
            raise UserError(f"困りごと「{w}」はシートの選択肢にありません。", field="worries")
        if w not in out:
            out.append(w)
    most = check_text(most_pressing, "いちばん困っていること", "most_pressing")
    if most:
        if most not in labels:
            raise UserError(f"いちばん困っていること「{most}」はシートの選択肢にありません。",
                            field="most_pressing")
        if most not in out:
            out.insert(0, most)
    return [w for w in labels if w in out], most


def section_of_answer(template: SheetTemplate, key: str) -> str | None:
    return template.field(key).section if template.has_field(key) else None


__all__ = [
    "CURRENT_VERSION", "FIELD_TYPES", "MAX_TEXT_BYTES", "PART_LABELS", "Section", "SheetTemplate",
    "TemplateField", "available_versions", "check_text", "load_template", "parse_template",
    "section_of_answer", "validate_answers", "validate_worries",
]
