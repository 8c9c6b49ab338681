"""What a plan draft and a meeting packet say about a case, read from its latest sheet.

The sheet stores answers by template field key (services/template.py, resources/
sheet_template_v1.json). Older and imported sheets may use slightly different keys, so each fact
is looked up under a short list of accepted keys, first match wins.
"""

from __future__ import annotations

from kodoku_desk.models import Case, Sheet

# 困りごと → field, after docs/DOMAIN.md §4. Worries not listed fall under その他.
WORRY_FIELDS: dict[str, str] = {
    "病気や健康": "健康",
    "障がい": "障がい",
    "介護": "高齢",
    "子育て": "子ども",
    "子どもの不登校・ひきこもり": "子ども",
    "本人や家族のひきこもり": "健康",
    "住まい": "生活困窮",
    "収入・生活費": "生活困窮",
    "家賃・ローン・公共料金の支払い": "生活困窮",
    "借金": "生活困窮",
    "仕事探し・就職": "生活困窮",
    "仕事上の不安やトラブル": "生活困窮",
    "食べるものがない": "生活困窮",
    "家族との関係": "参加支援",
    "地域・近所との関係": "参加支援",
    "孤独・さみしさ・話し相手がいない": "参加支援",
    "DV・虐待": "緊急（DV・虐待）",
    "こころの不調・死にたい気持ち": "健康",
}
FIELD_ORDER = ("緊急（DV・虐待）", "高齢", "障がい", "子ども", "生活困窮", "健康", "参加支援",
               "行政", "その他")

# Part B 聞き取り by domain → (fields it informs, accepted answer keys).
HEARINGS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("健康・障がい", ("健康", "障がい"), ("hearing_health", "health", "健康・障がい")),
    ("介護", ("高齢",), ("hearing_care", "care", "介護")),
    ("子ども・子育て", ("子ども",), ("hearing_children", "children", "子ども・子育て")),
    ("生活・経済", ("生活困窮",), ("hearing_living", "living", "economy", "生活・経済")),
    ("社会関係・孤立", ("参加支援",), ("hearing_social", "social", "社会関係・孤立")),
)
# Further part B notes a packet shows beside the hearings (label, accepted keys).
OTHER_NOTES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("安全の確認", ("safety",)),
    ("安全確認の内容", ("safety_note",)),
    ("利用中の制度・サービス", ("services_in_use",)),
    ("関わっている機関", ("involved_agencies",)),
    ("受付機関で対応済みのこと", ("done_at_intake",)),
)
WORRY_OTHER_KEYS = ("worry_other",)
PERSON_WISH_KEYS = ("wishes", "wish", "person_wish", "相談したいこと")
INTENT_KEYS = ("intent", "person_intent", "本人の意向")
FAMILY_WISH_KEYS = ("family_wish", "family_intent", "家族の意向")
ASSESSMENT_KEYS = ("assessment", "worker_view", "受付者の見立て")
NOTES_KEYS = ("notes", "note", "memo")


def first(answers: dict, keys: tuple[str, ...]) -> str:
    for key in keys:
        value = answers.get(key)
        if not value:
            continue
        if isinstance(value, list):
            return "、".join(map(str, value))
        return str(value)
    return ""


def person_wish(answers: dict) -> str:
    """本人の意向: the person's own words from part A, then the worker's note of it (part B)."""
    parts = [first(answers, PERSON_WISH_KEYS), first(answers, INTENT_KEYS)]
    return "\n".join(dict.fromkeys(p for p in parts if p))


def family_wish(answers: dict) -> str:
    return first(answers, FAMILY_WISH_KEYS)


def assessment(answers: dict) -> str:
    return first(answers, ASSESSMENT_KEYS)


def notes(answers: dict) -> str:
    return first(answers, NOTES_KEYS)


def worries_by_field(worries: list[str], most_pressing: str = "") -> list[tuple[str, list[str]]]:
    """[(field, [worry …])] in FIELD_ORDER; the most pressing one is marked ◎."""
    grouped: dict[str, list[str]] = {}
    for worry in worries:
        label = f"◎{worry}" if worry == most_pressing else worry
        grouped.setdefault(WORRY_FIELDS.get(worry, "その他"), []).append(label)
    if most_pressing and most_pressing not in worries:
        grouped.setdefault(WORRY_FIELDS.get(most_pressing, "その他"), []).insert(0, f"◎{most_pressing}")
    return [(f, grouped[f]) for f in FIELD_ORDER if f in grouped] + \
        [(f, v) for f, v in grouped.items() if f not in FIELD_ORDER]


def hearings(answers: dict) -> list[tuple[str, str]]:
    """Part B 聞き取り notes by domain, then safety and services, where there is any text."""
    out = []
    for label, _, keys in HEARINGS:
        text = first(answers, keys)
        if text:
            out.append((label, text))
    for label, keys in OTHER_NOTES:
        text = first(answers, keys)
        if text:
            out.append((label, text))
    return out


def worries_with_other(worries: list[str], answers: dict) -> list[str]:
    """The worry labels, with その他 carrying the person's own words."""
    other = first(answers, WORRY_OTHER_KEYS)
    return [f"その他（{other}）" if w == "その他" and other else w for w in worries]


def issues_by_field(case: Case, sheet: Sheet | None) -> list[dict]:
    """課題の整理 rows (field, issue, person_view) drafted from the worries and part B notes."""
    answers = dict(sheet.answers) if sheet else {}
    worries = worries_with_other(list(sheet.worries), answers) if sheet else []
    most = sheet.most_pressing if sheet else ""
    rows: dict[str, list[str]] = {}
    for fld, items in worries_by_field(worries, most):
        rows.setdefault(fld, []).append("困りごと: " + "、".join(items))
    for label, fields, keys in HEARINGS:
        text = first(answers, keys)
        if text:
            rows.setdefault(fields[0], []).append(f"{label}: {text}")
    for fld in case.fields:
        rows.setdefault(fld, [])
    ordered = [f for f in FIELD_ORDER if f in rows] + [f for f in rows if f not in FIELD_ORDER]
    return [{"field": f, "issue": "\n".join(rows[f]), "person_view": ""} for f in ordered]
