"""Printing the 「つながる」シート: a blank part A for the person to fill in on paper, and a saved
sheet filled in. A receiving agency prints exactly what its hand-offs disclosed (their snapshots:
services.sharing.visible_sheet); every print of a filled sheet is audited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from kodoku_desk.domain.actor import Actor
from kodoku_desk.domain.dates import age_on, to_wareki
from kodoku_desk.domain.template import SheetTemplate, load_template
from kodoku_desk.errors import UserError
from kodoku_desk.exports.sheet_pdf import FilledSheet, render_blank_part_a, render_filled
from kodoku_desk.models import Agency, Case, HouseholdMember, Sheet, Staff
from kodoku_desk.services import access, audit, uow
from kodoku_desk.services.auth import Signed
from kodoku_desk.services.consent import consents_for_case, describe_scope
from kodoku_desk.services.exporting import check_out_path, export_bytes
from kodoku_desk.services.sharing import visible_sheet
from kodoku_desk.store.files import atomic_output

ProgressFn = Callable[[int, int], None]
NOT_SHARED = "（この項目は共有されていません）"


@dataclass
class PrintResult:
    path: Path
    missing_glyphs: list[str] = field(default_factory=list)


def print_blank_part_a(out: Path | str, version: str | None = None,
                       signed: Signed | None = None) -> PrintResult:
    """The blank part A (no personal data). Audited when someone is signed in."""
    path = check_out_path(out, "pdf")
    template = load_template(version)
    data, ts = render_blank_part_a(template)
    if signed is None:
        with atomic_output(path) as fh:
            fh.write(data)
    else:
        def record(s: Session) -> int:
            audit.record(s, signed.actor, "print", "sheet_template", template.version,
                         {"what": "blank_part_a", "file": path.name})
            return 0

        export_bytes(signed, path, data, record)
    return PrintResult(path, [m.message() for m in ts.missing])


def _person_values(case: Case) -> dict[str, str]:
    p = case.person
    birth = ""
    if p.birth_date:
        age = age_on(p.birth_date, date.today())
        birth = f"{to_wareki(p.birth_date)}（{age}歳）"
    return {"person.name": p.name, "person.kana": p.kana, "person.sex": p.sex,
            "person.birth_date": birth, "person.address": p.address, "person.phone": p.phone}


def _format(value) -> str:
    if isinstance(value, list):
        return "、".join(map(str, value))
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        try:
            return to_wareki(date.fromisoformat(value))
        except ValueError:
            return value
    return str(value or "")


def filled_sheet(session: Session, actor: Actor, sheet: Sheet,
                 template: SheetTemplate) -> FilledSheet:
    """The sheet's printed values: the live sheet, or for a receiving agency exactly what its
    snapshots disclosed (services.sharing.visible_sheet)."""
    visible = visible_sheet(session, actor, sheet)
    if visible.content is not None:
        return _filled_from_snapshot(visible, template)
    case = session.get_one(Case, sheet.case_id)  # sheets.case_id is a foreign key
    agency = session.get(Agency, sheet.agency_id)
    worker = session.get(Staff, sheet.worker_id)
    columns = _person_values(case) | {
        "sheet.received_at": to_wareki(sheet.received_at.date()), "sheet.method": sheet.method,
        "case.discovery": case.discovery, "case.urgency": case.urgency}
    result = FilledSheet(case.case_no, sheet.received_at.date(), agency.name if agency else "",
                         worker.display_name if worker else "",
                         _values(template, visible, columns),
                         list(visible.worries), visible.most_pressing)
    for m in session.scalars(select(HouseholdMember).where(HouseholdMember.case_id == case.id)
                             .order_by(HouseholdMember.id)):
        age = age_on(m.person.birth_date, date.today())
        result.household.append([m.relation, m.person.name, f"{age}歳" if age is not None else "",
                                 to_wareki(m.person.birth_date), "、".join(m.flags)])
    for c in consents_for_case(session, case.id):
        line = (f"{'同意' if c.given else '不同意'}（{c.method}、{to_wareki(c.given_on)}）: "
                f"{describe_scope(c)}")
        if c.withdrawn_on:
            line += f" — {to_wareki(c.withdrawn_on)} 撤回"
        result.consent_lines.append(line)
    return result


def _values(template: SheetTemplate, visible, columns: dict[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for f in template.fields:
        if f.section not in visible.sections:
            values[f.key] = NOT_SHARED
        elif f.stored_in in columns:
            values[f.key] = columns[f.stored_in]
        elif f.in_answers:
            values[f.key] = _format(visible.answers.get(f.key, ""))
    return values


def _iso_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filled_from_snapshot(visible, template: SheetTemplate) -> FilledSheet:
    content = visible.content
    who = content.get("person", {})
    birth = _iso_date(who.get("birth_date"))
    birth_text = ""
    if birth:
        age = age_on(birth, date.today())
        birth_text = f"{to_wareki(birth)}（{age}歳）"
    sheet = content["sheet"]
    received = datetime.fromisoformat(sheet["received_at"]) if sheet.get("received_at") else None
    reception = content.get("reception", {})
    columns = {"person.name": who.get("name", ""), "person.kana": who.get("kana", ""),
               "person.sex": who.get("sex", ""), "person.birth_date": birth_text,
               "person.address": who.get("address", ""), "person.phone": who.get("phone", ""),
               "sheet.received_at": to_wareki(received.date()) if received else "",
               "sheet.method": reception.get("method", ""),
               "case.discovery": reception.get("discovery", ""),
               "case.urgency": content.get("urgency", "")}
    result = FilledSheet(content.get("case_no", ""), received.date() if received else None,
                         sheet.get("agency", ""), sheet.get("worker", ""),
                         _values(template, visible, columns), list(visible.worries),
                         visible.most_pressing)
    for m in content.get("household", []):
        mb = _iso_date(m.get("birth_date"))
        age = age_on(mb, date.today())
        result.household.append([m.get("relation", ""), m.get("name", ""),
                                 f"{age}歳" if age is not None else "", to_wareki(mb),
                                 "、".join(m.get("flags", []))])
    if "consent" in visible.sections:
        for c in content.get("consent", []):
            line = (f"{'同意' if c.get('given') else '不同意'}（{c.get('method', '')}、"
                    f"{to_wareki(_iso_date(c.get('given_on')))}）: {c.get('scope', '')}")
            if c.get("withdrawn_on"):
                line += f" — {to_wareki(_iso_date(c.get('withdrawn_on')))} 撤回"
            result.consent_lines.append(line)
    else:
        result.consent_lines.append(NOT_SHARED)
    return result


def print_sheet(signed: Signed, sheet_id: int, out: Path | str,
                progress: ProgressFn | None = None) -> PrintResult:
    """A saved sheet (parts A and B) as A4 PDF, limited to what the actor may see."""
    actor = signed.actor
    path = check_out_path(out, "pdf")
    with uow.write(signed) as s:  # a refusal is logged (and kept)
        sheet = s.get(Sheet, sheet_id)
        if sheet is None:
            raise UserError(f"シート {sheet_id} は見つかりません。")
        access.check_visible(s, actor, sheet.case_id)
        template = load_template(sheet.template_version)
        data_in = filled_sheet(s, actor, sheet, template)
        case_id = sheet.case_id
    if progress:
        progress(1, 2)
    data, ts = render_filled(template, data_in)
    missing = [m.message() for m in ts.missing]

    def record(s: Session) -> int:
        audit.record(s, actor, "print", "sheet", sheet_id,
                     {"case_id": case_id, "file": path.name, "missing_glyphs": missing})
        return 0

    export_bytes(signed, path, data, record)
    if progress:
        progress(2, 2)
    return PrintResult(path, missing)
