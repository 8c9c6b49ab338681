"""Issue 11 part 4: the redactor on its own (exports/redact.py) — names in every spelling,
household members and the 来談者, third parties, ordinary words that stay, addresses, phones,
birth dates, ages, added terms and the word list. The real packets (PDF read back with
pdftotext, DOCX with python-docx and LibreOffice) are in test_packets.py."""

from __future__ import annotations

import json
from datetime import date

import pytest

from kodoku_desk.errors import UserError
from kodoku_desk.exports.packet_model import PersonInfo
from kodoku_desk.exports.redact import (
    ADDRESS_MASK,
    BIRTH_MASK,
    FUSEJI,
    NAME_MASK,
    PHONE_MASK,
    ExtraTerm,
    Redactor,
    age_band,
    load_vocabulary,
    vocabulary_for,
)

TOME = PersonInfo("p1", "福山 トメ", "ふくやま とめ", birth_date=date(1944, 3, 5),
                  address="福山市霞町1-2-3 ひまわり荘201号室", phone="084-922-3344")
KAZUKO = PersonInfo("p2", "吉井 和子", "よしい かずこ", birth_date=date(1970, 8, 9), relation="長女")
SHOTA = PersonInfo("p3", "吉井 翔太", "よしい しょうた", birth_date=date(2010, 4, 2), relation="孫")
VISITOR = PersonInfo("visitor9", "吉井 正", relation="娘婿", phone="080-2222-3333")
STAFF = ["連携 花子", "監督 一郎"]
MEMBERS = ["北部地域包括支援センター", "自立相談支援機関", "民生 委員（民生委員・児童委員協議会）",
           "連携 花子（福祉総務課）", "健康推進課（こころの相談・自殺対策）"]


def redactor(*texts: str, extra=(), people=(TOME, KAZUKO, SHOTA, VISITOR)) -> Redactor:
    r = Redactor(list(people), keep_names=MEMBERS, staff_names=STAFF, extra_terms=extra)
    r.learn(texts)
    r.context = frozenset(r.codes.values())
    return r


def scrub(text: str, **kw) -> str:
    return redactor(text, **kw).text(text)


@pytest.mark.parametrize("spelling", ["福山トメ", "ふくやま とめ", "フクヤマ トメ", "ﾌｸﾔﾏﾄﾒ", "福山　トメ",
                                      "福山 ﾄﾒ", "ふくやまとめ", "ﾌｸﾔﾏ ﾄﾒ", "福山とめ", "ふくやまトメ",
                                      "トメさん", "福山様", "ふくやまさん", "トメちゃん", "ﾄﾒｻﾝ"])
def test_every_spelling_of_the_person_is_her_code(spelling):
    assert scrub(f"「{spelling}」が来所。") == "「A氏」が来所。"


def test_pieces_alone_only_where_they_are_a_name():
    r = redactor()
    assert r.text("福山は独居。西福山駅の近く、福山市内に住む。") == "A氏は独居。西福山駅の近く、福山市内に住む。"
    assert r.text("トメは一人暮らし。とめるのが難しい。") == "A氏は一人暮らし。とめるのが難しい。"
    # One kanji or two hiragana: only before an honorific or after a role word.
    assert r.text("孫の翔太は元気。翔太くん。太郎。") == "孫のC氏は元気。C氏。太郎。"
    assert r.text("福山家の事情") == "A氏家の事情"


def test_household_and_visitor_keep_one_code_each_and_shared_family_names_are_masked():
    r = redactor()
    assert r.codes == {"p1": "A氏", "p2": "B氏", "p3": "C氏", "visitor9": "D氏"}
    out = r.text("長女の和子さん（ヨシイ カズコ）、孫の翔太くん、娘婿の吉井 正。吉井さん一家。")
    assert out == f"長女のB氏（B氏）、孫のC氏、娘婿のD氏。{NAME_MASK}さん一家。"


def test_a_shared_family_name_is_the_one_person_of_this_case_who_has_it():
    r = redactor()
    r.context = frozenset({"A氏", "B氏"})  # only 和子 of the 吉井 is in this case
    assert r.text("吉井さんが来た。") == "B氏が来た。"


def test_the_visitor_who_is_in_the_household_shares_the_household_code():
    visitor = PersonInfo("visitor9", "吉井　和子", relation="長女")
    r = Redactor([TOME, KAZUKO, visitor])
    assert r.codes["visitor9"] == r.codes["p2"] == "B氏"


def test_third_parties_after_role_words_and_before_honorifics_are_numbered_in_order():
    text = ("隣人の佐藤花子さんが見守り、佐藤さんは毎日来る。花子さんも。民生委員の山本氏。"
            "大家の鈴木が家賃を督促。担任の高田先生。主治医の中村医師。ケアマネの小野さん。"
            "民生委員山本氏とも話した。長女のさくらちゃん。マリアさん。")
    r = redactor(text)
    assert r.text(text) == (
        "隣人の第三者1が見守り、第三者1は毎日来る。第三者1も。民生委員の第三者2。"
        "大家の第三者3が家賃を督促。担任の第三者4。主治医の第三者5医師。ケアマネの第三者6。"
        "民生委員第三者2とも話した。長女の第三者7。第三者8。")
    assert r.third_parties["佐藤花子"] == r.third_parties["佐藤"] == r.third_parties["花子"]


def test_a_third_party_keeps_one_code_through_every_text_of_the_packet():
    first, second = "隣人の佐藤さんが通報。", "佐藤花子さんが鍵を預かる。山本さんも。"
    r = redactor(first, second)
    assert r.text(first) == "隣人の第三者1が通報。"
    assert r.text(second) == "第三者1が鍵を預かる。第三者2も。"


ORDINARY = ("お母さんが心配。皆さんに相談。お客様対応。看護師さんが来る。ヘルパーさんが週2回。"
            "先生に相談した。担任の先生。息子さん。娘さんと同居。奥さんが。ご主人様。本人さんは。"
            "利用者さん。大家さんに。民生委員さん。社協さん。包括さん。お医者さん。彼氏がいる。"
            "様子を見る。同様の相談。多様な支援。氏名不詳。赤ちゃん。おばあちゃん。お孫さん。"
            "妹さん。店長さん。校長先生。ケアマネさん。ママ友さん。主治医の意見書。隣人の苦情。"
            "大家の意向。民生委員の訪問。担任の指導。夫の中村町の実家。毎日ちゃんと通う。"
            "市長様。県知事様。デイサービスさん。訪問看護さん。福祉課さん。連携さんに報告。"
            "北部地域包括支援センターの職員。自立相談支援機関へ。令和7年4月1日に訪問。"
            "要介護2。第106条の6。年収300-400万。18歳未満。65歳以上。受付2025-04-01。")


def test_ordinary_words_staff_and_agency_names_stay_as_written():
    assert scrub(ORDINARY) == ORDINARY


def test_addresses_below_the_town_phones_birth_dates_and_ages():
    text = ("住所は霞町1-2-3、旧住所は西町3丁目4番5号、その前は南町二丁目5番地。ひまわり荘201号室。"
            "電話０８４－９２２－３３４４、(084)900-5678、携帯090 1111 2222、09012345678。"
            "昭和19年3月5日生まれ。S45.8.9生。1999年1月2日生まれ。生年月日：2010/4/2。"
            "平成5年生まれ。R3.5.1生。8月9日生まれ。"
            "本人は８１歳、長女は55才、孫は5歳、満15歳。")
    out = scrub(text)
    assert out == (
        f"住所は霞町{ADDRESS_MASK}、旧住所は西町{ADDRESS_MASK}、その前は南町{ADDRESS_MASK}。"
        f"ひまわり荘{ADDRESS_MASK}。"
        f"電話{PHONE_MASK}、{PHONE_MASK}、携帯{PHONE_MASK}、{PHONE_MASK}。"
        f"{BIRTH_MASK}生まれ。{BIRTH_MASK}生。{BIRTH_MASK}生まれ。生年月日：{BIRTH_MASK}。"
        f"{BIRTH_MASK}生まれ。{BIRTH_MASK}生。{BIRTH_MASK}生まれ。"
        "本人は80歳代、長女は50歳代、孫は10歳未満、10歳代（18歳未満）。")


def test_a_known_birth_date_is_masked_in_any_format_and_other_dates_stay():
    r = redactor()
    for written in ("昭和19年3月5日", "S19.3.5", "1944-03-05", "1944/3/5", "1944年3月5日", "19440305",
                    "s19.03.05"):
        assert r.text(f"{written}に") == f"{BIRTH_MASK}に", written
    assert r.text("令和7年4月1日に訪問、2025-04-02に電話") == "令和7年4月1日に訪問、2025-04-02に電話"


def test_the_persons_fields_are_coded_and_the_address_keeps_its_town():
    r = redactor()
    p = PersonInfo("p1", "福山 トメ", "ふくやま とめ", birth_date=date(1944, 3, 5), age=81,
                   address="福山市霞町1-2-3 ひまわり荘201号室", phone="084-922-3344")
    made = r.person(p)
    assert (p.name, p.kana, p.address, p.phone, p.birth_text, p.age_text) == (
        "A氏", "", f"福山市霞町{ADDRESS_MASK}", PHONE_MASK, BIRTH_MASK, "80歳代")
    assert ("福山 トメ", "A氏", "氏名") in made and ("81歳", "80歳代", "年齢") in made
    q = PersonInfo("p2", "吉井 和子", address="福山市大字山手")  # no 番地: already the town
    r.person(q)
    assert q.address == "福山市大字山手"
    # The address below the town, written in the notes, is replaced as well.
    assert r.text("ひまわり荘201号室に住む") == f"ひまわり荘{ADDRESS_MASK}に住む"
    assert r.text("霞町1-2-3ひまわり荘201号室") == f"霞町{ADDRESS_MASK}"


def test_added_terms_become_third_parties_or_fuseji_and_unmatched_are_known():
    text = "友人のマイケルが手伝う。ひまわり荘の管理人。マイケルさん。"
    r = redactor(text, extra=[ExtraTerm("マイケル", third_party=True), ExtraTerm("ひまわり荘"),
                              ExtraTerm("どこにもない語")])
    assert r.text(text) == f"友人の第三者1が手伝う。{FUSEJI}の管理人。第三者1。"
    assert r.extra_found == {"まいける", "ひまわり荘"}


def test_an_added_term_numbers_after_the_found_third_parties_and_joins_its_spelling():
    text = "隣人の佐藤さん。友人のジョン。"
    r = redactor(text, extra=[ExtraTerm("ジョン", True), ExtraTerm("佐藤さん", True)])
    assert r.text(text) == "隣人の第三者1。友人の第三者2。"
    assert r.extra_found == {"じょん", "佐藤"}


def test_variant_kanji_and_gaiji_are_matched_but_never_dropped():
    yoshio = PersonInfo("p1", "髙橋 𠮷男", "たかはし よしお")
    r = redactor("髙橋さん", people=[yoshio])
    assert r.text("高橋吉男さんと髙橋さん、𠮷男さん。") == "A氏とA氏、A氏。"
    # Characters outside the replaced stretches stay exactly as written (the PDF reports what
    # its font lacks): 𠮷, a variant 﨑, half-width kana and full-width brackets.
    kept = "𠮷野で﨑の字。ﾃﾞｲｻｰﾋﾞｽ（週2回）。"
    assert r.text(kept) == kept


def test_text_outside_the_matches_is_untouched():
    text = "ﾌｸﾔﾏﾄﾒ（８１歳）は\u3000ﾃﾞｲｻｰﾋﾞｽを週２回。"
    assert scrub(text) == "A氏（80歳代）は\u3000ﾃﾞｲｻｰﾋﾞｽを週２回。"


def test_every_replacement_is_reported_as_written():
    r = redactor("隣人の佐藤さん")
    r.text("ﾌｸﾔﾏ ﾄﾒ、隣人の佐藤さん、０９０－１１１１－２２２２、８１歳")
    assert r.made == [("ﾌｸﾔﾏ ﾄﾒ", "A氏", "氏名"), ("佐藤さん", "第三者1", "第三者"),
                      ("０９０－１１１１－２２２２", PHONE_MASK, "電話番号"), ("８１歳", "80歳代", "年齢")]


def test_age_bands():
    assert [age_band(a) for a in (None, 5, 15, 18, 54, 83, 101)] == [
        "年齢不明", "10歳未満", "10歳代（18歳未満）", "10歳代", "50歳代", "80歳代", "100歳代"]


def test_the_word_list_is_data_and_a_workspace_may_carry_its_own(tmp_path):
    from kodoku_desk.exports.redact import DEFAULT_WORDS

    raw = json.loads(DEFAULT_WORDS.read_text(encoding="utf-8"))
    assert "隣人" in raw["role_words"] and "お母さん" in raw["kept_expressions"]
    assert vocabulary_for(tmp_path) is vocabulary_for(None)  # no copy: the bundled list
    raw["kept_expressions"].append("山田さん")  # a municipality's own exception
    (tmp_path / "redaction_words.json").write_text(json.dumps(raw, ensure_ascii=False),
                                                   encoding="utf-8")
    own = vocabulary_for(tmp_path)
    assert Redactor([], vocabulary=own).text("山田さん") == "山田さん"
    assert scrub("隣人の山田さん") == "隣人の第三者1"
    (tmp_path / "redaction_words.json").write_text("{", encoding="utf-8")
    with pytest.raises(UserError, match="JSON として読めません"):
        load_vocabulary(tmp_path / "redaction_words.json")
    (tmp_path / "bad.json").write_text(json.dumps({"honorifics": "さん"}), encoding="utf-8")
    with pytest.raises(UserError, match="honorifics"):
        load_vocabulary(tmp_path / "bad.json")
