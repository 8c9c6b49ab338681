"""Routing suggestions: from worries and household signals to fields and next agencies
(docs/DOMAIN.md §4), driven by an editable rules file (resources/routing_rules.json).

`suggest` is a pure function of its input and the agency list: no database, no screen. Each
suggestion says why (the worry or household signal); suggestions are only suggestions, the
worker confirms, adds or removes them (services.intake keeps what they did and why).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from kodoku_desk.domain.dates import age_on
from kodoku_desk.domain.org import FIELDS
from kodoku_desk.domain.template import load_template
from kodoku_desk.errors import UserError
from kodoku_desk.paths import RESOURCES, WorkspaceOverride

DEFAULT_RULES = RESOURCES / "routing_rules.json"
SELF = "本人"
WHEN_KEYS = {"worries_any", "member", "person", "unless_matched"}
PERSON_KEYS = {"min_age", "max_age", "flags_any", "relations_any", "relations_not"}
DEST_KEYS = {"name", "name_contains", "block", "field"}
URGENT_WORRIES = ("DV・虐待", "こころの不調・死にたい気持ち")


# --- input ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MemberSignal:
    relation: str
    age: int | None = None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoutingInput:
    worries: tuple[str, ...] = ()
    person_age: int | None = None
    person_flags: tuple[str, ...] = ()
    household: tuple[MemberSignal, ...] = ()
    block_id: int | None = None

    def members(self) -> tuple[MemberSignal, ...]:
        """The person counts as a member of their own household (relation 本人)."""
        return (MemberSignal(SELF, self.person_age, self.person_flags),) + self.household


def routing_input(worries: Iterable[str], person_birth: date | None,
                  household: Iterable[tuple[str, date | None, Iterable[str]]] = (),
                  on: date | None = None, block_id: int | None = None,
                  person_flags: Iterable[str] = ()) -> RoutingInput:
    """Build the input from dates: household = [(relation, birth_date, flags)]. A member with
    no birth date but the flag 18歳未満 counts as under 18."""
    on = on or date.today()
    members = []
    for relation, birth, flags in household:
        flags = tuple(flags)
        age = age_on(birth, on)
        if age is None and "18歳未満" in flags:
            age = 17
        members.append(MemberSignal(relation or "", age, flags))
    return RoutingInput(tuple(worries), age_on(person_birth, on), tuple(person_flags),
                        tuple(members), block_id)


@dataclass(frozen=True)
class AgencyRef:
    """What routing needs to know of an agency (models.Agency fits this shape too)."""

    id: int | None
    name: str
    fields: tuple[str, ...] = ()
    block_id: int | None = None
    active: bool = True


# --- rules ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    id: str
    field: str
    when: dict
    to: tuple[dict, ...]
    reason: str = ""
    urgent: bool = False


@dataclass(frozen=True)
class RoutingRules:
    rules: tuple[Rule, ...]
    min_fields: int = 2
    ignore_fields: tuple[str, ...] = ()
    coordinator: dict = field(default_factory=dict)
    multi_reason: str = "{fields} の {count} 分野にまたがる（多機関協働）"
    source: str = ""


def _fail(source: str, where: str, what: str) -> UserError:
    return UserError(f"ルールファイル {source}: {where}の{what}")


def load_rules(path: Path | str | None = None) -> RoutingRules:
    """Read and check a rules file. Every problem names the rule and what is wrong."""
    path = Path(path) if path else DEFAULT_RULES
    if not path.exists():
        raise UserError(f"ルールファイル {path} が見つかりません。")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise UserError(f"ルールファイル {path.name} は UTF-8 のテキストではありません。") from exc
    except json.JSONDecodeError as exc:
        raise UserError(f"ルールファイル {path.name} の {exc.lineno} 行 {exc.colno} 文字目が"
                        f" JSON として読めません（{exc.msg}）。") from exc
    return parse_rules(raw, path.name)


@lru_cache(maxsize=1)
def default_rules() -> RoutingRules:
    return load_rules(DEFAULT_RULES)


WORKSPACE_RULES = "routing_rules.json"
_WORKSPACE_RULES = WorkspaceOverride(WORKSPACE_RULES, load_rules, default_rules)


def rules_for(folder: Path | str | None) -> RoutingRules:
    """The rules a workspace uses: `<workspace>/routing_rules.json` when the admin has put an
    edited copy there (no personal data in it), otherwise the bundled defaults."""
    return _WORKSPACE_RULES.for_folder(folder)


def parse_rules(raw: object, source: str = "rules") -> RoutingRules:
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list):
        raise UserError(f"ルールファイル {source}: 最上位に \"rules\" の一覧が必要です。")
    worries = set(load_template().worry_labels)
    rules: list[Rule] = []
    ids: set[str] = set()
    for i, r in enumerate(raw["rules"]):
        rules.append(_parse_rule(r, i, source, worries, ids))
    for rule in rules:
        for other in rule.when.get("unless_matched", []):
            if other not in ids:
                raise _fail(source, f"ルール「{rule.id}」", f" unless_matched に未知のルール「{other}」があります。")
    multi = raw.get("multi_agency", {})
    if not isinstance(multi, dict):
        raise UserError(f"ルールファイル {source}: multi_agency はオブジェクトにしてください。")
    min_fields = multi.get("min_fields", 2)
    if not isinstance(min_fields, int) or min_fields < 2:
        raise UserError(f"ルールファイル {source}: multi_agency.min_fields は 2 以上の整数にしてください。")
    return RoutingRules(tuple(rules), min_fields, tuple(multi.get("ignore_fields", [])),
                        dict(multi.get("coordinator", {})),
                        multi.get("reason", RoutingRules.multi_reason), source)


def _parse_rule(r: object, i: int, source: str, worries: set[str], ids: set[str]) -> Rule:
    where = f"ルール {i + 1}"
    if not isinstance(r, dict):
        raise _fail(source, where, "形式が正しくありません（オブジェクトにしてください）。")
    rid = r.get("id")
    if not isinstance(rid, str) or not rid:
        raise _fail(source, where, " id がありません。")
    where = f"ルール {i + 1}（{rid}）"
    if rid in ids:
        raise _fail(source, where, " id が重複しています。")
    ids.add(rid)
    unknown = set(r) - {"id", "field", "when", "to", "reason", "urgent"}
    if unknown:
        raise _fail(source, where, f"キー「{'、'.join(sorted(unknown))}」は使えません。")
    if r.get("field") not in FIELDS:
        raise _fail(source, where, f"分野「{r.get('field')}」はありません（{'・'.join(FIELDS)}）。")
    when = r.get("when")
    if not isinstance(when, dict) or not when or set(when) - WHEN_KEYS:
        raise _fail(source, where, f" when には {'・'.join(sorted(WHEN_KEYS))} を使ってください。")
    for label in when.get("worries_any", []):
        if label not in worries:
            raise _fail(source, where, f"困りごと「{label}」はシート様式の選択肢にありません。")
    for key in ("member", "person"):
        if key in when and (not isinstance(when[key], dict) or set(when[key]) - PERSON_KEYS):
            raise _fail(source, where, f" when.{key} には {'・'.join(sorted(PERSON_KEYS))} を使ってください。")
    to = r.get("to")
    if not isinstance(to, list) or not to:
        raise _fail(source, where, " to（つなぎ先の候補）がありません。")
    for d in to:
        if not isinstance(d, dict) or not d or set(d) - DEST_KEYS:
            raise _fail(source, where, f" to の指定には {'・'.join(sorted(DEST_KEYS))} を使ってください。")
        if "field" in d and d["field"] not in FIELDS:
            raise _fail(source, where, f" to の分野「{d['field']}」はありません。")
    if not isinstance(r.get("urgent", False), bool):
        raise _fail(source, where, " urgent は true か false にしてください。")
    return Rule(rid, r["field"], when, tuple(to), str(r.get("reason", "")), r.get("urgent", False))


# --- matching -------------------------------------------------------------------------------------

def _person_matches(m: MemberSignal, cond: dict) -> bool:
    if "min_age" in cond and (m.age is None or m.age < cond["min_age"]):
        return False
    if "max_age" in cond and (m.age is None or m.age > cond["max_age"]):
        return False
    if "flags_any" in cond and not set(cond["flags_any"]) & set(m.flags):
        return False
    if "relations_any" in cond and m.relation not in cond["relations_any"]:
        return False
    return not ("relations_not" in cond and m.relation in cond["relations_not"])


def _match(rule: Rule, data: RoutingInput, matched: set[str]) -> str | None:
    """The reason if the rule matches, else None."""
    when = rule.when
    hits: list[str] = []
    if "worries_any" in when:
        hits = [w for w in when["worries_any"] if w in data.worries]
        if not hits:
            return None
    if "person" in when and not _person_matches(data.members()[0], when["person"]):
        return None
    if "member" in when and not any(_person_matches(m, when["member"]) for m in data.members()):
        return None
    if set(when.get("unless_matched", [])) & matched:
        return None
    if rule.reason:
        return rule.reason
    return "困りごと「" + "」「".join(hits) + "」" if hits else rule.id


def describe_destination(dest: dict) -> str:
    """How a rule names a destination, for output without a workspace."""
    if "name" in dest:
        return dest["name"]
    if "name_contains" in dest:
        return dest["name_contains"] + ("（本人のブロック）" if dest.get("block") == "person" else "")
    return f"{dest.get('field', '')}分野の機関"


def _resolve(dest: dict, agencies: Sequence | None, block_id: int | None):
    if agencies is None:  # no workspace: the rule's own naming (intake route)
        return AgencyRef(None, describe_destination(dest))
    live = [a for a in agencies if getattr(a, "active", True)]
    if "name" in dest:
        found = [a for a in live if a.name == dest["name"]]
    elif "name_contains" in dest:
        found = [a for a in live if dest["name_contains"] in a.name]
    else:
        found = [a for a in live if dest.get("field") in (a.fields or [])]
    if dest.get("block") == "person" and found:
        same = [a for a in found if getattr(a, "block_id", None) == block_id]
        # No block known (or none in that block): any agency of the kind is still a useful hint.
        found = same or found
    return found[0] if found else None


@dataclass(frozen=True)
class Suggestion:
    field: str
    agency_id: int | None
    agency_name: str
    reasons: tuple[str, ...]
    rule_ids: tuple[str, ...]
    urgent: bool = False
    alternatives: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        return "／".join(self.reasons)


@dataclass(frozen=True)
class RoutingResult:
    suggestions: tuple[Suggestion, ...]
    fields: tuple[str, ...]
    multi_agency: bool
    multi_agency_reason: str
    coordinator_id: int | None
    coordinator_name: str
    urgent: bool
    urgent_reasons: tuple[str, ...]


def suggest(data: RoutingInput, agencies: Sequence | None, rules: RoutingRules | None = None
            ) -> RoutingResult:
    """Suggestions with reasons, the fields, the 多機関協働 flag and the urgent path.

    agencies: the workspace's agencies (models.Agency or AgencyRef); None names destinations
    as the rules do (for checking a rules file without a workspace)."""
    rules = rules or default_rules()
    matched: set[str] = set()
    merged: dict[object, dict] = {}
    for rule in rules.rules:
        reason = _match(rule, data, matched)
        if reason is None:
            continue
        matched.add(rule.id)
        targets = [_resolve(d, agencies, data.block_id) for d in rule.to]
        found = [a for a in targets if a is not None]
        primary = found[0] if found else None
        key = (primary.id if primary.id is not None else primary.name) if primary \
            else ("none", rule.field)
        entry = merged.setdefault(key, {
            "field": rule.field, "agency": primary, "reasons": [], "rules": [], "urgent": False,
            "alts": [], "urgent_reasons": []})
        if reason not in entry["reasons"]:
            entry["reasons"].append(reason)
        entry["rules"].append(rule.id)
        entry["urgent"] |= rule.urgent
        if rule.urgent:
            entry["urgent_reasons"].append(reason)
        entry["alts"] += [a.name for a in found[1:] if a.name not in entry["alts"]]
    suggestions = tuple(
        Suggestion(e["field"], e["agency"].id if e["agency"] else None,
                   e["agency"].name if e["agency"] else "", tuple(e["reasons"]),
                   tuple(e["rules"]), e["urgent"], tuple(e["alts"]))
        for e in merged.values())
    urgent = [r for e in merged.values() for r in e["urgent_reasons"]]
    return _result(suggestions, urgent, data, agencies, rules)


def _result(suggestions: tuple[Suggestion, ...], urgent_rule_reasons: list[str],
            data: RoutingInput, agencies: Sequence | None, rules: RoutingRules) -> RoutingResult:
    fields = fields_of([s.field for s in suggestions])
    counted = [f for f in fields if f not in rules.ignore_fields]
    multi = len(counted) >= rules.min_fields
    coordinator = _resolve(rules.coordinator, agencies, None) if multi and rules.coordinator else None
    reason = rules.multi_reason.format(fields="・".join(counted), count=len(counted)) if multi else ""
    urgent_reasons = tuple(dict.fromkeys(
        [f"困りごと「{w}」" for w in URGENT_WORRIES if w in data.worries]
        + urgent_rule_reasons))
    return RoutingResult(suggestions, fields, multi, reason,
                         coordinator.id if coordinator else None,
                         coordinator.name if coordinator else "",
                         bool(urgent_reasons), urgent_reasons)


def fields_of(values: Iterable[str]) -> tuple[str, ...]:
    present = set(values)
    return tuple(f for f in FIELDS if f in present)


def is_multi_agency(fields: Iterable[str], rules: RoutingRules | None = None) -> bool:
    rules = rules or default_rules()
    return len([f for f in set(fields) if f not in rules.ignore_fields]) >= rules.min_fields


def is_urgent_worry(worries: Iterable[str]) -> bool:
    return any(w in URGENT_WORRIES for w in worries)


__all__ = [
    "AgencyRef", "MemberSignal", "RoutingInput", "RoutingResult", "RoutingRules", "Rule",
    "Suggestion", "URGENT_WORRIES", "WORKSPACE_RULES", "default_rules", "describe_destination", "fields_of", "is_multi_agency",
    "is_urgent_worry", "load_rules", "parse_rules", "routing_input", "rules_for", "suggest",
]
