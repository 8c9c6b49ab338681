"""Meeting packets read back with real clients: pdftotext, pdffonts, LibreOffice."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date

import pytest
from meetings_data import (
    SUZUKI,
    TANAKA,
    YAMADA,
    CaseSpec,
    PersonSpec,
    make_case,
    meeting_world_copy,
)
from office import docx_to_pdf
from sqlalchemy import func, select

from kodoku_desk.domain.dates import to_wareki
from kodoku_desk.errors import UserError
from kodoku_desk.models import AuditEntry, Disclosure
from kodoku_desk.queries import meeting_views
from kodoku_desk.services import meeting_packets, meetings
from kodoku_desk.services.meeting_packets import ExtraTerm


@pytest.fixture
def world(meeting_template, ws_dir):
    world = meeting_world_copy(meeting_template, ws_dir)
    yield world
    if world.signed.store._lock is not None:
        world.signed.close()


@pytest.fixture
def out_dir(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    return d


def pdftext(path, password: str | None = None) -> str:
    cmd = ["pdftotext", "-layout"] + (["-upw", password] if password else []) + [str(path), "-"]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def squeeze(text: str) -> str:
    return "".join(text.split())


def test_pdf_has_cover_agenda_and_cases_with_ipaex_embedded(world, out_dir):
    out = out_dir / "資料.pdf"
    steps: list[tuple[int, int]] = []
    result = meeting_packets.export_packet(world.signed, world.session_id, "pdf", out,
                                           progress=lambda d, t: steps.append((d, t)))
    assert result.copies == 3 and result.cases == 3 and not result.redacted
    assert len(steps) > 3 and steps[-1][0] == steps[-1][1]
    assert [d for d, _ in steps] == sorted(d for d, _ in steps)
    text = pdftext(out)
    flat = squeeze(text)
    for expected in ("秘・取扱注意", "6月合同会議", "令和7年6月10日", "写し番号", "配布先",
                     "来談者", "田中正男（夫）", "携帯090-7777-8888",
                     "北部地域包括支援センター様", "民生委員（民生委員・児童委員協議会）様",
                     "議題", "K-2025-0001", "山田太郎", "鈴木一郎", "田中恵子", "山田花子",
                     "つなぎの履歴", "支援プラン", "第106条の6", "守秘義務", "1/"):
        assert expected in flat, expected
    fonts = subprocess.run(["pdffonts", str(out)], check=True, capture_output=True,
                           text=True).stdout.splitlines()[2:]
    assert any("IPAexGothic" in line and " yes " in line for line in fonts)
    assert all(" yes " in line for line in fonts), fonts  # every font embedded


def test_each_copy_holds_only_the_parts_its_recipient_sits_in(world, out_dir):
    """The 民生委員 sits only in the 重層的支援会議 part: their copy has no 支援会議 case."""
    out = out_dir / "p.pdf"
    meeting_packets.export_packet(world.signed, world.session_id, "pdf", out)
    pages = [squeeze(p) for p in pdftext(out).split("\f")]
    covers = [i for i, p in enumerate(pages) if "配布先" in p] + [len(pages)]
    assert len(covers) == 4  # three copies
    minsei = next(i for i in covers if "民生委員（民生委員・児童委員協議会）様" in pages[i])
    their_copy = "".join(pages[minsei:covers[covers.index(minsei) + 1]])
    assert "写し番号2" in their_copy and "山田太郎" in their_copy
    assert "鈴木一郎" not in their_copy and "田中恵子" not in their_copy
    assert "1/" in their_copy  # page numbers restart per copy


def test_disclosures_one_per_copy_and_case_with_the_kind_basis(world, out_dir):
    signed = world.signed
    result = meeting_packets.export_packet(signed, world.session_id, "pdf", out_dir / "p.pdf")
    # copy 1 (包括: both parts, 3 cases) + copy 2 (民生委員: 1 case) + copy 3 (自立相談: 2 cases)
    assert result.disclosures == 6
    with signed.store.read() as s:
        rows = s.scalars(select(Disclosure).order_by(Disclosure.id)).all()
        assert len(rows) == 6
        by_case = {(r.case_id, r.copy_no): r for r in rows}
        assert by_case[(world.cases["yamada"], 1)].basis == "本人同意"
        assert by_case[(world.cases["suzuki"], 1)].basis == "支援会議"
        assert by_case[(world.cases["yamada"], 2)].recipient.startswith("民生 委員")
        assert all(r.channel == "packet" and r.meeting_part_id for r in rows)
        audit = s.scalar(select(AuditEntry).where(AuditEntry.action == "export"))
        assert '"what": "packet"' in audit.detail and "p.pdf" in audit.detail


ALL_PEOPLE = [YAMADA.person, *YAMADA.household, SUZUKI.person, *SUZUKI.household,
              TANAKA.person, *TANAKA.household]


def _identifying_strings(p: PersonSpec) -> list[str]:
    surname, given = p.name.split()
    strings = [p.name, squeeze(p.name), given, p.kana, to_wareki(p.birth), p.birth.isoformat(),
               f"{p.birth.year}年{p.birth.month}月{p.birth.day}日"]
    if len(given) > 1:
        strings.append(given)
    if p.address:
        strings += [p.address, p.address.removeprefix("福山市")]
    if p.phone:
        strings += [p.phone, p.phone.replace("-", "")]
    return strings


def test_redacted_packet_contains_no_name_address_phone_or_birth_date(world, out_dir):
    out = out_dir / "匿名.pdf"
    result = meeting_packets.export_packet(world.signed, world.session_id, "pdf", out, redact=True)
    assert result.redacted
    text = pdftext(out)
    flat = squeeze(text)
    for person in ALL_PEOPLE:
        for s in _identifying_strings(person):
            assert s not in text and squeeze(s) not in flat, (person.name, s)
    for phone in ("090-1111-2222", "09011112222", "０９０－３３３３－４４４４", "080-5555-6666",
                  "090-7777-8888"):
        assert phone not in text
    assert "正男" not in flat  # the 来談者 (part A) is a person too
    assert "山田" not in flat and "田中" not in flat and "鈴木" not in flat
    for code in ("A氏", "B氏", "C氏", "D氏", "E氏", "F氏"):
        assert code in flat
    assert "K-2025-" not in flat and "事例1" in flat
    assert "50歳代" in flat and "10歳代（18歳未満）" in flat


def test_redaction_codes_are_stable_through_the_packet(world, out_dir):
    out = out_dir / "r.pdf"
    meeting_packets.export_packet(world.signed, world.session_id, "pdf", out, redact=True)
    flat = squeeze(pdftext(out))
    # 山田 太郎 is A氏 and his mother B氏 wherever they appear: the heading, the household table,
    # and inside his own free-text wish (「母の山田花子の介護」).
    assert "議題1事例1A氏" in flat
    assert "A氏です。母のB氏の介護" in flat
    assert "B氏は（生年月日非表示）生まれ" in flat


def test_support_meeting_of_a_block_is_redacted_by_default(world, out_dir):
    signed = world.signed
    sid = meetings.create_session(signed, "北部ブロック 支援者支援会議", "R7.6.20",
                                  parts=[("支援者支援会議", "事例検討")])
    part = meeting_views.get_session(signed, sid).parts[0].id
    meetings.add_case(signed, part, world.cases["suzuki"])  # any case may be a case study
    out = out_dir / "block.pdf"
    result = meeting_packets.export_packet(signed, sid, "pdf", out)
    assert result.redacted
    flat = squeeze(pdftext(out))
    assert "鈴木" not in flat and "A氏" in flat and "匿名化" in flat
    with pytest.raises(UserError, match="匿名化しない支援者支援会議の資料に含められません"):
        meeting_packets.export_packet(signed, sid, "pdf", out_dir / "plain.pdf", redact=False)
    assert not (out_dir / "plain.pdf").exists()
    with signed.store.read() as s:
        basis = s.scalar(select(Disclosure.basis).where(Disclosure.meeting_part_id == part))
    assert basis == "匿名化"


def test_juso_packet_never_contains_a_non_consented_case(world, out_dir):
    signed = world.signed
    sid = meetings.create_session(signed, "重層のみ", "R7.6.30", parts=[("重層的支援会議", "")])
    part = meeting_views.get_session(signed, sid).parts[0].id
    meetings.add_case(signed, part, world.cases["yamada"])
    for key in ("suzuki", "tanaka"):
        with pytest.raises(UserError):
            meetings.add_case(signed, part, world.cases[key])
    out = out_dir / "juso.pdf"
    meeting_packets.export_packet(signed, sid, "pdf", out)
    flat = squeeze(pdftext(out))
    assert "山田太郎" in flat and "鈴木" not in flat and "田中" not in flat
    docx = out_dir / "juso.docx"
    meeting_packets.export_packet(signed, sid, "docx", docx)
    flat = _docx_text(docx, out_dir)
    assert "山田太郎" in flat and "鈴木" not in flat and "田中" not in flat


def _docx_text(path, out_dir) -> str:
    return squeeze(pdftext(docx_to_pdf(path, out_dir / "lo")))


def test_docx_converts_in_libreoffice_with_the_same_agenda(world, out_dir):
    out = out_dir / "資料.docx"
    progress: list[tuple[int, int]] = []
    result = meeting_packets.export_packet(world.signed, world.session_id, "docx", out,
                                           progress=lambda d, t: progress.append((d, t)))
    assert result.format == "docx" and progress[-1][0] == progress[-1][1]
    flat = _docx_text(out, out_dir)
    for expected in ("秘・取扱注意", "6月合同会議", "議題", "K-2025-0001", "山田太郎", "K-2025-0002",
                     "鈴木一郎", "K-2025-0003", "田中恵子", "第1部重層的支援会議", "第2部支援会議",
                     "写し番号", "守秘義務", "つなぎの履歴"):
        assert expected in flat, expected
    fonts = subprocess.run(["pdffonts", str(out_dir / "lo" / "資料.pdf")], capture_output=True,
                           text=True).stdout
    assert "IPAex" in fonts


def test_docx_template_sets_east_asian_fonts_without_theme_attributes():
    import zipfile

    from kodoku_desk.exports.docx_common import TEMPLATE

    styles = zipfile.ZipFile(TEMPLATE).read("word/styles.xml").decode("utf-8")
    assert 'w:eastAsia="IPAexGothic"' in styles and 'w:eastAsia="ja-JP"' in styles
    assert "Theme=" not in styles


def test_password_protected_pdf_needs_the_password(world, out_dir):
    out = out_dir / "locked.pdf"
    with pytest.raises(UserError, match="10文字以上"):
        meeting_packets.export_packet(world.signed, world.session_id, "pdf", out, password="short")
    assert not out.exists()
    meeting_packets.export_packet(world.signed, world.session_id, "pdf", out,
                                  password="himitsu-2026")
    locked = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True)
    assert locked.returncode != 0
    assert "山田太郎" in squeeze(pdftext(out, "himitsu-2026"))
    info = subprocess.run(["pdfinfo", "-upw", "himitsu-2026", str(out)], capture_output=True,
                          text=True).stdout
    assert "copy:no" in info and "change:no" in info  # the user password cannot lift the limits
    with pytest.raises(UserError, match="DOCX にはパスワード"):
        meeting_packets.export_packet(world.signed, world.session_id, "docx",
                                      out_dir / "x.docx", password="x")


def test_character_outside_the_font_is_reported_and_shown_as_geta(signed, out_dir):
    from meetings_data import setup_org

    setup_org(signed)
    spec = CaseSpec(PersonSpec("𠮷田 一郎", "よしだ いちろう", date(1960, 3, 3), "福山市霞町1-1",
                               "084-111-2222"),
                    [PersonSpec("髙﨑 花", "たかさき はな", date(1962, 5, 5), relation="妻")],
                    consent="meetings")
    case_id = make_case(signed, spec, 7)
    sid = meetings.create_session(signed, "外字テスト", "R7.8.1", parts=[("重層的支援会議", "")])
    meetings.add_case(signed, meeting_views.get_session(signed, sid).parts[0].id, case_id)
    out = out_dir / "gaiji.pdf"
    result = meeting_packets.export_packet(signed, sid, "pdf", out)
    assert result.missing_glyphs
    first = result.missing_glyphs[0]
    assert "「𠮷」（U+20BB7）" in first and "K-2025-0007" in first
    flat = squeeze(pdftext(out))
    assert "〓田一郎" in flat and "𠮷" not in flat
    assert "髙﨑花" in flat  # variant kanji the font has print as they are
    assert {m.split("」")[0] for m in result.missing_glyphs} == {"「𠮷"}
    with signed.store.read() as s:
        detail = s.scalar(select(AuditEntry.detail).where(AuditEntry.action == "export"))
    assert "U+20BB7" in detail
    with pytest.raises(UserError, match="U\\+20BB7"):
        meeting_packets.export_packet(signed, sid, "pdf", out_dir / "strict.pdf",
                                      strict_glyphs=True)
    assert not (out_dir / "strict.pdf").exists()


def test_unwritable_output_leaves_no_file_and_no_disclosure(world, out_dir):
    """A folder without write permission (for root, which ignores permissions: a read-only
    mount)."""
    locked = out_dir / "locked"
    locked.mkdir()
    if os.geteuid() == 0:
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(locked)],
                          capture_output=True).returncode != 0:
            pytest.skip("cannot make a read-only folder here")
        undo = ["umount", str(locked)]
    else:
        locked.chmod(0o500)
        undo = ["chmod", "700", str(locked)]
    try:
        with pytest.raises(UserError, match="書き込めません"):
            meeting_packets.export_packet(world.signed, world.session_id, "pdf",
                                          locked / "p.pdf")
        assert list(locked.iterdir()) == []
    finally:
        subprocess.run(undo, check=False)
    _assert_no_disclosures(world.signed)


def test_failed_write_leaves_nothing_under_the_chosen_name(world, out_dir):
    """The chosen name is a folder's child that cannot be created (its parent is a file), and a
    name that is an existing folder: clear sentences, no file, no disclosure rows."""
    blocker = out_dir / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(UserError, match="フォルダ"):
        meeting_packets.export_packet(world.signed, world.session_id, "pdf", blocker / "p.pdf")
    with pytest.raises(UserError, match="フォルダです"):
        meeting_packets.export_packet(world.signed, world.session_id, "pdf", out_dir)
    with pytest.raises(UserError, match="拡張子"):
        meeting_packets.export_packet(world.signed, world.session_id, "pdf", out_dir / "p.docx")
    assert sorted(p.name for p in out_dir.iterdir()) == ["not-a-folder"]
    _assert_no_disclosures(world.signed)


def test_disk_full_mid_write_is_a_sentence_and_leaves_nothing(world, tmp_path):
    """A real full disk: a 1 MB tmpfs is too small for the packet (skipped if we cannot mount)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        with pytest.raises(UserError, match="空き容量"):
            meeting_packets.export_packet(world.signed, world.session_id, "pdf", mnt / "p.pdf")
        assert list(mnt.iterdir()) == []
    finally:
        subprocess.run(["umount", str(mnt)], check=False)
    _assert_no_disclosures(world.signed)


def _assert_no_disclosures(signed) -> None:
    with signed.store.read() as s:
        assert s.scalar(select(func.count()).select_from(Disclosure)) == 0


# --- sheet printouts (issue 3 item 5) ----------------------------------------------------------


def test_blank_part_a_has_every_part_a_field_and_embedded_fonts(out_dir):
    from kodoku_desk.domain.template import load_template
    from kodoku_desk.services.sheet_print import print_blank_part_a

    out = out_dir / "blank.pdf"
    print_blank_part_a(out)
    flat = squeeze(pdftext(out))
    template = load_template()
    for section in template.part_sections("A"):
        assert squeeze(section.label) in flat
        for f in section.fields:
            assert squeeze(f.label)[:12] in flat, f.label
    assert "相談受付者記入" not in flat and "聞き取り" not in flat  # part B is not on it
    assert "病気や健康" in flat and "年月日" in flat
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True).stdout
    assert "IPAexGothic" in fonts and " no " not in fonts


def test_filled_sheet_prints_values_and_a_receiving_agency_sees_only_shared_sections(world,
                                                                                     out_dir):
    from kodoku_desk.domain.actor import Actor
    from kodoku_desk.models import Handoff, Sheet, Staff
    from kodoku_desk.services import sharing
    from kodoku_desk.services.auth import Signed
    from kodoku_desk.services.sheet_print import print_sheet

    signed = world.signed
    with signed.store.read() as s:
        sheet_id = s.scalar(select(Sheet.id).where(Sheet.case_id == world.cases["yamada"]))
    out = out_dir / "sheet.pdf"
    print_sheet(signed, sheet_id, out)
    flat = squeeze(pdftext(out))
    for expected in ("相談者記入", "相談受付者記入", "山田太郎", "やまだたろう", "昭和47年6月15日",
                     "福山市東桜町3-5", "084-928-1234", "母は要介護2", "山田花子", "◎", "介護"):
        assert expected in flat, expected

    # A worker of the 包括 sees only the sections its hand-off shares (the test data: A, B).
    with signed.store.write() as s:
        s.add(Staff(login="houkatsu", display_name="包括 職員",
                    agency_id=world.agencies["北部地域包括支援センター"], roles=["intake"]))
        for h in s.scalars(select(Handoff).where(Handoff.case_id == world.cases["yamada"])):
            # 追加提供 as the owner would: the receiver reads what the snapshot froze.
            sharing.take_in(s, signed.actor, h, s.get(Sheet, sheet_id), ["wishes", "hearing_care"])
    with signed.store.read() as s:
        staff = s.scalar(select(Staff).where(Staff.login == "houkatsu"))
        s.refresh(staff, ["agency"])
        worker = Signed(signed.store, Actor.of(staff))
    out2 = out_dir / "shared.pdf"
    print_sheet(worker, sheet_id, out2)
    flat = squeeze(pdftext(out2))
    assert "母は要介護2" in flat and "母の山田花子の介護" in flat
    assert "福山市東桜町" not in flat and "084-928-1234" not in flat and "山田花子83歳" not in flat
    assert "この項目は共有されていません" in flat
    with signed.store.read() as s:
        prints = s.scalars(select(AuditEntry).where(AuditEntry.action == "print")).all()
    assert [p.actor for p in prints] == ["admin", "houkatsu"]

    # An agency the case was never handed to is refused, and the refusal is logged.
    from kodoku_desk.errors import AccessDenied

    with signed.store.write() as s:
        s.add(Staff(login="tanin", display_name="他機関 職員", agency_id=world.agencies["健康推進課「ふきのとう」"],
                    roles=["intake"]))
        for h in s.scalars(select(Handoff).where(Handoff.to_agency_id
                                                 == world.agencies["健康推進課「ふきのとう」"])):
            h.to_agency_id = world.agencies["北部地域包括支援センター"]
    with signed.store.read() as s:
        staff = s.scalar(select(Staff).where(Staff.login == "tanin"))
        s.refresh(staff, ["agency"])
        other = Signed(signed.store, Actor.of(staff))
    with pytest.raises(AccessDenied):
        print_sheet(other, sheet_id, out_dir / "no.pdf")
    assert not (out_dir / "no.pdf").exists()
    with signed.store.read() as s:
        denied = s.scalar(select(AuditEntry).where(AuditEntry.action == "access_denied"))
    assert denied is not None and denied.actor == "tanin"


def test_redactor_finds_names_in_every_spelling_and_keeps_ordinary_words():
    from kodoku_desk.exports.packet_model import PersonInfo
    from kodoku_desk.exports.redact import Redactor, age_band, code_name

    taro = PersonInfo("p1", "山田 太郎", "やまだ たろう", birth_date=date(1972, 6, 15),
                      address="福山市東桜町3-5", phone="084-928-1234")
    hana = PersonInfo("p2", "山田 花子", "やまだ はなこ", birth_date=date(1943, 2, 3))
    sho = PersonInfo("p3", "田中 翔", "たなか しょう")
    r = Redactor([taro, hana, sho, taro])
    assert r.codes == {"p1": "A氏", "p2": "B氏", "p3": "C氏"}
    text = ("山田　太郎さんとヤマダ タロウ、やまだはなこ。山田さんは東桜町3-5に住む。翔くんが翔ぶ。"
            "S47.6.15生。昭和18年2月3日生まれ。1999年1月2日生まれの人。電話０８４－９２８－１２３４。"
            "本人は54歳、母は83歳。")
    out = r.text(text)
    for gone in ("山田", "太郎", "タロウ", "はなこ", "3-5", "S47.6.15", "昭和18年2月3日",
                 "1999年1月2日", "０８４", "54歳", "83歳"):
        assert gone not in out, (gone, out)
    # 山田 alone is both people's: masked; the town stays, 番地 and below go.
    assert out.startswith("A氏とA氏、B氏。（氏名非表示）さんは東桜町（番地以下非表示）に住む")
    assert "C氏が翔ぶ" in out  # a one-kanji given name only before an honorific
    assert "50歳代" in out and "80歳代" in out
    assert code_name(25) == "Z氏" and code_name(26) == "AA氏"
    assert age_band(17) == "10歳代（18歳未満）" and age_band(5) == "10歳未満"


def test_redacted_docx_has_no_identifying_details_either(world, out_dir):
    out = out_dir / "匿名.docx"
    meeting_packets.export_packet(world.signed, world.session_id, "docx", out, redact=True)
    flat = _docx_text(out, out_dir)
    for person in ALL_PEOPLE:
        for s in _identifying_strings(person):
            assert squeeze(s) not in flat, (person.name, s)
    assert "A氏" in flat and "事例1" in flat and "正男" not in flat


# --- redaction that catches every spelling (issue 11 part 4) ------------------------------------


@pytest.fixture
def corpus(signed):
    """FUKUYAMA (no consent) in a 支援者支援会議, redacted by default; one member agency."""
    from meetings_data import FUKUYAMA, setup_org

    agencies = setup_org(signed)
    case_id = make_case(signed, FUKUYAMA, 4)
    sid = meetings.create_session(signed, "北部ブロック 事例検討", "R7.7.1",
                                  parts=[("支援者支援会議", "事例検討")])
    part = meeting_views.get_session(signed, sid).parts[0].id
    meetings.set_members(signed, part, [
        meetings.MemberSpec(agency_id=agencies["北部地域包括支援センター"])])
    meetings.add_case(signed, part, case_id)
    return signed, sid, case_id


ADDED = (ExtraTerm("ひまわり荘"), ExtraTerm("マイケル", third_party=True))


def _check_redacted(flat: str) -> None:
    from meetings_data import FUKUYAMA_GONE, FUKUYAMA_KEPT

    assert [g for g in FUKUYAMA_GONE if g in flat] == []
    assert [k for k in FUKUYAMA_KEPT if k not in flat] == []
    for code in ("A氏", "B氏", "C氏", "D氏", "第三者1", "第三者2", "第三者3", "第三者4", "第三者5",
                 "（伏字）の管理人", "事例1"):
        assert code in flat, code
    assert "A氏です。A氏、A氏、A氏、A氏とも書かれます。" in flat  # five spellings, one code
    assert "隣人の第三者1が見守り、第三者1は毎日" in flat  # 佐藤花子さん … 佐藤さん: one person
    assert "長女のB氏（B氏）と孫のC氏" in flat and "娘婿のD氏が来談" in flat
    assert "（生年月日非表示）生まれ" in flat and "孫は10歳代（18歳未満）" in flat


def test_redacted_pdf_catches_every_spelling_and_uses_exactly_the_preview(corpus, out_dir):
    signed, sid, _ = corpus
    preview = meeting_packets.preview_redaction(signed, sid, extra_terms=ADDED)
    assert preview.parts == ["第1部　支援者支援会議（事例検討）"] and not preview.unmatched_terms
    out = out_dir / "匿名.pdf"
    result = meeting_packets.export_packet(signed, sid, "pdf", out, preview=preview)
    assert result.redacted and result.replacements == preview.count and result.added_terms == 2
    flat = squeeze(pdftext(out))
    _check_redacted(flat)
    # The preview lists what the file replaced: every original is gone, every code is there.
    by = {(r.original, r.replacement) for r in preview.rows}
    for original, replacement in by:
        assert squeeze(original) not in flat, original
        if replacement != "（表示しない）":  # the ふりがな line is left out
            assert squeeze(replacement) in flat, replacement
    for expected in [("ﾌｸﾔﾏﾄﾒ", "A氏"), ("福山様", "A氏"), ("トメさん", "A氏"), ("佐藤花子さん", "第三者1"),
                     ("佐藤さん", "第三者1"), ("山本氏", "第三者2"), ("鈴木", "第三者3"),
                     ("高田先生", "第三者4"), ("マイケル", "第三者5"), ("ひまわり荘", "（伏字）"),
                     ("０８４－９２２－３３４４", "（電話番号非表示）"), ("S45.8.9", "（生年月日非表示）"),
                     ("3丁目4番5号", "（番地以下非表示）"), ("K-2025-0004", "事例1")]:
        assert expected in by, expected
    row = next(r for r in preview.rows if r.original == "佐藤花子さん")
    assert row.part.startswith("第1部") and row.case == "事例1（K-2025-0004）" and row.places == ("メモ",)
    with signed.store.read() as s:
        detail = s.scalar(select(AuditEntry.detail).where(AuditEntry.action == "export"))
        basis = s.scalar(select(Disclosure.basis))
    data = json.loads(detail)
    assert data["replacements"] == preview.count and data["added_terms"] == 2
    assert data["third_parties"] == 5 and data["previewed"] is True
    for name in ("トメ", "佐藤", "ひまわり", "マイケル", "吉井", "0849"):  # counts, never names
        assert name not in detail
    assert basis == "匿名化"


def test_redacted_docx_catches_every_spelling_read_back_by_python_docx_and_libreoffice(corpus,
                                                                                       out_dir):
    from docx import Document

    signed, sid, _ = corpus
    out = out_dir / "匿名.docx"
    result = meeting_packets.export_packet(signed, sid, "docx", out, extra_terms=ADDED)
    assert result.replacements > 40 and result.added_terms == 2
    doc = Document(str(out))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    _check_redacted(squeeze("".join(p.text for p in doc.paragraphs) + "".join(cells)))
    _check_redacted(_docx_text(out, out_dir))


def test_an_added_term_updates_the_preview_and_a_changed_packet_refuses_the_old_one(corpus,
                                                                                   out_dir):
    from kodoku_desk.models import Sheet

    signed, sid, case_id = corpus
    before = meeting_packets.preview_redaction(signed, sid)
    assert not any(r.original == "ひまわり荘" for r in before.rows)
    after = meeting_packets.preview_redaction(signed, sid, extra_terms=[ExtraTerm("ひまわり荘"),
                                                                        ExtraTerm("無い語句")])
    assert [r.replacement for r in after.rows if r.original == "ひまわり荘"] == ["（伏字）"]
    assert after.unmatched_terms == ["無い語句"] and after.fingerprint != before.fingerprint
    with signed.store.write() as s:  # someone adds a note after the preview
        sheet = s.scalar(select(Sheet).where(Sheet.case_id == case_id))
        sheet.answers = {**sheet.answers, "notes": sheet.answers["notes"] + "隣人の田村さんも。"}
    out = out_dir / "stale.pdf"
    with pytest.raises(UserError, match="確認の後に会議資料の内容が変わりました"):
        meeting_packets.export_packet(signed, sid, "pdf", out, preview=after)
    assert not out.exists()
    _assert_no_disclosures(signed)
    with pytest.raises(UserError, match="匿名化の設定が違います"):
        meeting_packets.export_packet(signed, sid, "pdf", out, redact=True, preview=after)
    fresh = meeting_packets.preview_redaction(signed, sid, extra_terms=after.extra_terms)
    assert ("田村さん", "第三者5") in {(r.original, r.replacement) for r in fresh.rows}
    meeting_packets.export_packet(signed, sid, "pdf", out, preview=fresh)
    assert "田村" not in squeeze(pdftext(out)) and "ひまわり荘" not in squeeze(pdftext(out))


def test_an_unredacted_preview_has_nothing_to_replace(world):
    preview = meeting_packets.preview_redaction(world.signed, world.session_id)
    assert preview.parts == [] and preview.rows == [] and preview.count == 0


def test_characters_outside_the_font_are_reported_in_redacted_text_too(signed, out_dir):
    from meetings_data import setup_org

    setup_org(signed)
    spec = CaseSpec(PersonSpec("𠮷田 一郎", "よしだ いちろう", date(1960, 3, 3), "福山市霞町1-1"),
                    notes="𠮷田さんは𠮷野の店で働く。", consent="none")
    case_id = make_case(signed, spec, 7)
    sid = meetings.create_session(signed, "外字 匿名", "R7.8.1", parts=[("支援者支援会議", "")])
    meetings.add_case(signed, meeting_views.get_session(signed, sid).parts[0].id, case_id)
    out = out_dir / "gaiji-redacted.pdf"
    result = meeting_packets.export_packet(signed, sid, "pdf", out)
    flat = squeeze(pdftext(out))
    assert "A氏は〓野の店で働く" in flat and "〓田" not in flat  # the name is coded, 𠮷野 kept
    assert result.missing_glyphs and all("「𠮷」（U+20BB7）" in m for m in result.missing_glyphs)
    assert "事例1" in result.missing_glyphs[0] and "K-2025-0007" not in result.missing_glyphs[0]
