"""A synthetic Fukuyama-like workspace for training and demonstration. Every name is generated."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kodoku_desk.models import Agency, Block, Staff
from kodoku_desk.services import audit, uow
from kodoku_desk.services.auth import Signed, create_workspace

DEMO_PASSWORD = "demo-password-2026"
BLOCKS = ("北部ブロック", "東部ブロック", "中部ブロック", "西部ブロック", "南部ブロック")
BLOCK_SHORT = ("北部", "東部", "中部", "西部", "南部")

# (name, fields, block index or None, operation, contact)
CITY_AGENCIES: list[tuple[str, list[str], int | None, str]] = [
    ("高齢者支援課", ["高齢", "行政"], None, "直営"),
    ("介護保険課", ["高齢", "行政"], None, "直営"),
    ("障がい福祉課", ["障がい", "行政"], None, "直営"),
    ("基幹相談支援センター", ["障がい"], None, "委託"),
    ("障がい者相談支援事業所あゆみ", ["障がい"], 2, "委託"),
    ("こども家庭センター", ["子ども", "行政"], None, "直営"),
    ("児童相談所", ["子ども"], None, "直営"),
    ("若者・くらしの悩み相談課", ["子ども", "生活困窮", "行政"], None, "直営"),
    ("自立相談支援機関", ["生活困窮"], None, "委託"),
    ("生活福祉課", ["生活困窮", "行政"], None, "直営"),
    ("健康推進課「ふきのとう」", ["健康", "行政"], None, "直営"),
    ("健康推進課（こころの相談・自殺対策）", ["健康", "行政"], None, "直営"),
    ("配偶者暴力相談支援センター", ["行政"], None, "直営"),
    ("社会福祉協議会", ["参加支援"], None, "委託"),
]


@dataclass
class DemoLogin:
    login: str
    display_name: str
    agency: str
    roles: list[str]


def _agency_rows() -> list[tuple[str, list[str], int | None, str]]:
    rows = [(f"{b}地域包括支援センター", ["高齢"], i, "委託") for i, b in enumerate(BLOCK_SHORT)]
    rows += CITY_AGENCIES
    rows += [(f"{b}交流館", ["参加支援"], i, "直営") for i, b in enumerate(BLOCK_SHORT)]
    return rows


def _seed_org(signed: Signed) -> list[DemoLogin]:
    logins = [DemoLogin("admin", "管理 太郎", "福祉総務課", ["admin", "supervisor", "coordinator"])]
    with uow.write(signed) as s:
        blocks = [Block(name=n) for n in BLOCKS]
        s.add_all(blocks)
        s.flush()
        agencies: dict[str, Agency] = {}
        for i, (name, fields, block, op) in enumerate(_agency_rows()):
            agencies[name] = Agency(
                name=name, fields=fields, operation=op,
                block_id=blocks[block].id if block is not None else None,
                contact=f"084-9{i:02d}-{1000 + i * 7:04d}（デモ）",
            )
        s.add_all(agencies.values())
        s.flush()
        staff_plan = [
            ("coord", "連携 花子", "福祉総務課", ["coordinator"]),
            ("super", "監督 一郎", "福祉総務課", ["supervisor"]),
            ("soumu", "総務 次郎", "福祉総務課", ["intake"]),
        ]
        for i, name in enumerate(agencies):
            staff_plan.append((f"u{i + 1:02d}", _staff_name(i), name, ["intake"]))
        for login, display, agency_name, roles in staff_plan:
            agency_id = agencies[agency_name].id if agency_name in agencies else signed.actor.agency_id
            s.add(Staff(login=login, display_name=display, agency_id=agency_id, roles=roles))
            logins.append(DemoLogin(login, display, agency_name, roles))
        audit.record(s, signed.actor, "create", "demo", "", {"agencies": len(agencies)})
    return logins


def _staff_name(i: int) -> str:
    """A made-up, plausible name for the i-th demo intake worker (deterministic)."""
    from kodoku_devtools import synthetic_vocab as V

    given = V.GIVEN_FEMALE_MID + V.GIVEN_MALE_MID
    family = V.FAMILY_NAMES[(i * 7 + 3) % len(V.FAMILY_NAMES)]
    return f"{family[0]} {given[(i * 5) % len(given)][0]}"


def create_demo(folder: Path | str, cases: int = 200, seed: int = 1,
                progress=None) -> tuple[Signed, list[DemoLogin]]:
    """Create the workspace, its organisation, and `cases` generated cases."""
    signed = create_workspace(folder, "admin", "管理 太郎", DEMO_PASSWORD)
    try:
        logins = _seed_org(signed)
        for entry in logins[1:]:
            signed.store.rewrap(entry.login, DEMO_PASSWORD)
        if cases:
            from kodoku_devtools import synthetic

            synthetic.populate(signed, cases=cases, seed=seed, progress=progress)
            from kodoku_devtools.meetings_demo import create_demo_meetings

            create_demo_meetings(signed, seed=seed)  # upcoming meetings of every kind
    except BaseException:
        signed.store.close()
        raise
    return signed, logins
