"""The two databases the benchmark compares: a generated workspace (SQLCipher, as the app
stores it) and an exact plain-SQLite copy of it (same schema, indexes and rows, made with
SQLCipher's own `sqlcipher_export`), both opened through the application's Store."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from kodoku_desk.models import Agency, Case, Consent, ConsentWithdrawal, Handoff
from kodoku_desk.services.auth import Signed, sign_in
from kodoku_desk.store import migrate
from kodoku_desk.store.engine import make_engine
from kodoku_desk.store.workspace import DB_NAME, Store, load_keyfile

LOGIN = "admin"
PACKET_CASES = 30
MARKER = "bench.json"
Progress = Callable[[int, int], None]


@dataclass
class Samples:
    """What the measures look for: chosen deterministically from the generated data."""

    people: list[dict] = field(default_factory=list)  # name, kana, phone, case_id, case_no
    inbox_agency_id: int = 0
    heavy_case_id: int = 0  # the case with the most hand-offs (30 in generated data)
    meeting_id: int = 0
    send_case_id: int = 0
    send_agency_id: int = 0
    today: str = ""


@dataclass
class BenchWorkspaces:
    root: Path
    cases: int
    seed: int
    build_seconds: float
    reused: bool
    counts: dict
    samples: Samples
    cipher: Signed | None = None
    plain: Signed | None = None

    @property
    def cipher_dir(self) -> Path:
        return self.root / "workspace"

    @property
    def plain_dir(self) -> Path:
        return self.root / "plain"

    def open(self) -> None:
        from kodoku_devtools.demo import DEMO_PASSWORD

        if self.cipher is None:
            self.cipher = sign_in(self.cipher_dir, LOGIN, DEMO_PASSWORD)  # migrates a kept one
        if self.plain is None:
            if not plain_at_head(self.plain_dir):  # a kept copy made before a migration
                export_plain(self.cipher, self.plain_dir, replace=True)
            self.plain = open_plain(self.plain_dir, self.cipher)

    def close(self) -> None:
        if self.plain is not None:
            self.plain.store.close()
            self.plain = None
        if self.cipher is not None:
            self.cipher.close()
            self.cipher = None


def open_plain(folder: Path, like: Signed) -> Signed:
    """The plain copy behind the same Store interface, signed in as the same actor."""
    engine = make_engine(folder / DB_NAME, None)
    keyfile = load_keyfile(like.store.folder)
    return Signed(Store(folder, engine, keyfile, b"", None), like.actor)


def build(root: Path, cases: int, seed: int, progress: Progress | None = None) -> BenchWorkspaces:
    """Generate (or reuse, when `root` holds a finished build of the same size and seed)."""
    from kodoku_devtools.demo import create_demo

    root = Path(root)
    marker = root / MARKER
    if marker.exists():
        meta = json.loads(marker.read_text(encoding="utf-8"))
        if meta.get("cases") == cases and meta.get("seed") == seed:
            return BenchWorkspaces(root, cases, seed, meta["build_seconds"], True, meta["counts"],
                                   Samples(**meta["samples"]))
        raise ValueError(f"{root} には別の条件（{meta.get('cases')}件, seed {meta.get('seed')}）"
                         "で作ったベンチマーク用ワークスペースがあります。空のフォルダを指定してください。")
    root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    signed, _ = create_demo(root / "workspace", cases=cases, seed=seed, progress=progress)
    try:
        samples = _samples(signed, seed)
        samples.meeting_id = _packet_meeting(signed)
        counts = _counts(signed)
        export_plain(signed, root / "plain")
    finally:
        signed.close()
    elapsed = time.perf_counter() - started
    meta = {"cases": cases, "seed": seed, "build_seconds": round(elapsed, 2), "counts": counts,
            "samples": samples.__dict__}
    marker.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return BenchWorkspaces(root, cases, seed, elapsed, False, counts, samples)


def plain_at_head(folder: Path) -> bool:
    """True when the plain copy exists and has the current schema."""
    if not (folder / DB_NAME).exists():
        return False
    engine = make_engine(folder / DB_NAME, None)
    try:
        return not migrate.needs_upgrade(engine)
    finally:
        engine.dispose()


def export_plain(signed: Signed, folder: Path, replace: bool = False) -> Path:
    """An exact unencrypted copy for the comparison (generated data only, never a real one).
    replace: remove an older copy first (sqlcipher_export needs an empty database)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / DB_NAME
    if replace:
        for path in (target, folder / f"{DB_NAME}-wal", folder / f"{DB_NAME}-shm"):
            path.unlink(missing_ok=True)
    raw = signed.store.engine.raw_connection()
    try:
        conn = raw.driver_connection
        conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(target),))
        conn.execute("SELECT sqlcipher_export('plain')")
        conn.execute("DETACH DATABASE plain")
    finally:
        raw.close()
    engine = make_engine(target, None)
    try:
        if migrate.needs_upgrade(engine):
            raise RuntimeError("plain copy is not at the schema head")
    finally:
        engine.dispose()
    return target


def _counts(signed: Signed) -> dict:
    from kodoku_desk.models import HandoffEvent, Person, Plan

    with signed.store.read() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                for m in (Person, Case, Handoff, HandoffEvent, Plan)}


def _samples(signed: Signed, seed: int) -> Samples:
    """Spread over the id range so the searches do not all hit the same pages."""
    from kodoku_desk.models import Person

    out = Samples(today=date.today().isoformat())
    with signed.store.read() as s:
        total = s.scalar(select(func.count()).select_from(Case)) or 0
        if total:
            step = max(1, total // 12)
            q = (select(Person.name, Person.kana, Person.phone, Case.id, Case.case_no)
                 .join(Case, Case.person_id == Person.id).order_by(Case.id))
            for i, row in enumerate(s.execute(q)):
                if (i + seed) % step == 0:
                    out.people.append({"name": row[0], "kana": row[1], "phone": row[2],
                                       "case_id": row[3], "case_no": row[4]})
        busiest = s.execute(select(Handoff.to_agency_id, func.count()).group_by(Handoff.to_agency_id)
                            .order_by(func.count().desc()).limit(1)).first()
        out.inbox_agency_id = busiest[0] if busiest else (signed.actor.agency_id or 0)
        heavy = s.execute(select(Handoff.case_id, func.count()).group_by(Handoff.case_id)
                          .order_by(func.count().desc(), Handoff.case_id).limit(1)).first()
        out.heavy_case_id = heavy[0] if heavy else 0
        out.send_case_id, out.send_agency_id = _sendable(s, signed.actor.agency_id)
    return out


def _sendable(s, from_agency: int | None) -> tuple[int, int]:
    """A case with an active consent and an agency it covers (for the scripted hand-off)."""
    withdrawn = select(ConsentWithdrawal.consent_id)
    agencies = list(s.scalars(select(Agency).where(Agency.active.is_(True), Agency.id != from_agency)))
    for consent in s.scalars(select(Consent).where(Consent.given.is_(True),
                                                   Consent.id.not_in(withdrawn))
                             .order_by(Consent.id.desc()).limit(50)):
        for agency in agencies:
            if set(agency.fields) & set(consent.scope_fields):
                return consent.case_id, agency.id
    return 0, 0


def _packet_meeting(signed: Signed) -> int:
    """A 支援会議 (any case allowed, 第106条の6) with 30 cases and three member copies."""
    from kodoku_desk.queries import meeting_views
    from kodoku_desk.services import meetings

    with signed.store.read() as s:
        case_ids = list(s.scalars(select(Case.id).where(Case.deleted.is_(False))
                                  .order_by(Case.id.desc()).limit(PACKET_CASES)))
        member_ids = list(s.scalars(select(Agency.id).order_by(Agency.id).limit(3)))
    if not case_ids:
        return 0
    held = date.today() + timedelta(days=14)
    session_id = meetings.create_session(
        signed, f"ベンチマーク用 支援会議（{len(case_ids)}件）", held, start_time="13:30",
        end_time="16:00", place="会議室", chair="福祉総務課長",
        parts=[("支援会議", "資料出力の計測")])
    part_id = meeting_views.get_session(signed, session_id).parts[0].id
    meetings.set_members(signed, part_id, [meetings.MemberSpec(agency_id=a) for a in member_ids])
    for case_id in reversed(case_ids):
        meetings.add_case(signed, part_id, case_id)
    return session_id
