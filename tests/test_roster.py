"""Roster (TR4): ID checks worked by hand, pseudonyms, the key file."""

from __future__ import annotations

import hashlib
import hmac
import stat

import pandas as pd
import pytest
from conftest import TEST_PROFILE

from talentstats.errors import ParameterError
from talentstats.keyfile import load_or_create_key
from talentstats.profile.config import load_profile
from talentstats.reading.ids import check_id_number
from talentstats.reading.pseudonym import pseudonymise
from talentstats.reading.roster import birth_year_month, category_item, industry_section
from talentstats.validation.rules import validate

PROFILE = load_profile(TEST_PROFILE)

KEY = bytes(range(32))

# 11010519491231002X: 1*7+1*9+0*10+1*5+0*8+5*4+1*2+9*1+4*6+9*3+1*7+2*9+3*10+1*5+0*8+0*4+2*2
# = 167; 167 mod 11 = 2; "10X98765432"[2] = X.  Born 1949-12-31, 17th digit 2 (even): 女.
VALID_F = "11010519491231002X"
# 44190019800115101?: 4*7+4*9+1*10+9*5+0*8+0*4+1*2+9*1+8*6+0*3+0*7+1*9+1*10+5*5+1*8+0*4+1*2
# = 28+36+10+45+2+9+48+9+10+25+8+2 = 232; 232 mod 11 = 1; "10X98765432"[1] = 0.
# Born 1980-01-15, 17th digit 1 (odd): 男.
VALID_M = "441900198001151010"


def test_check_id_number_by_hand():
    assert check_id_number(VALID_F)
    assert check_id_number(VALID_F.lower())
    assert check_id_number(VALID_M)
    assert check_id_number(" 4419001980 0115 1010 ")  # spaces typed in
    assert check_id_number("'441900198001151010")  # Excel text prefix
    assert not check_id_number("441900198001151011")  # wrong check digit
    assert not check_id_number("110105194912310021")
    assert not check_id_number("11010519491231002")  # 17 characters
    assert not check_id_number("441900800115101")  # 15-digit first generation
    assert not check_id_number(None)
    assert not check_id_number(4.41900198001151e17)  # lost to a float


def raw(**over) -> dict:
    base = dict(seq=1, name="张三", sex="男", id_number=VALID_M, birth="1980.01",
                education="博士研究生", title="正高级工程师", category="专业技术人才",
                employer="某某科技有限公司", industry="C 制造业", recognised_year=2014.0,
                note=None, row=6)
    return base | over


def test_pseudonymise_output_and_flags():
    (out,) = pseudonymise([raw()], KEY, year=2015, unit_code="441900003", profile=PROFILE)
    expected = hmac.new(KEY, VALID_M.encode(), hashlib.sha256).hexdigest()[:16]
    assert out == {
        "year": 2015, "unit_code": "441900003", "person": expected, "seq": "1", "sex": "男",
        "birth_year": 1980, "education": "博士研究生", "title": "正高级工程师",
        "category": "专业技术人才", "category_item": 130, "employer": "某某科技有限公司",
        "industry": "C", "recognised_year": 2014, "note": None, "row": 6,
        "id_valid": True, "birth_ok": True, "sex_ok": True,
    }
    assert "name" not in out and "id_number" not in out
    assert "张三" not in repr(out) and VALID_M not in repr(out)


def test_birth_and_sex_mismatch():
    (out,) = pseudonymise([raw(birth="1980年2月", sex="女")], KEY, year=2015, unit_code="x", profile=PROFILE)
    assert (out["id_valid"], out["birth_ok"], out["sex_ok"]) == (True, False, False)
    (out,) = pseudonymise([raw(id_number=VALID_F, birth="1949-12", sex="女")], KEY, year=2015,
                          unit_code="x", profile=PROFILE)
    assert (out["id_valid"], out["birth_ok"], out["sex_ok"]) == (True, True, True)
    # 1980.1 as a number may be January or October: both agree.
    (out,) = pseudonymise([raw(birth=1980.1)], KEY, year=2015, unit_code="x", profile=PROFILE)
    assert out["birth_ok"] is True


def test_unusable_id_falls_back_to_name_and_birth():
    rows = [raw(id_number="无", row=6), raw(id_number="", row=7), raw(id_number=None, name="李四")]
    a, b, c = pseudonymise(rows, KEY, year=2015, unit_code="x", profile=PROFILE)
    assert a["person"] == b["person"] != c["person"]
    assert a["person"] == hmac.new(KEY, "张三|1980-1".encode(), hashlib.sha256).hexdigest()[:16]
    assert (a["id_valid"], a["birth_ok"], a["sex_ok"]) == (False, None, None)
    # A wrong check digit still identifies the person (P01 reports the digit).
    (d,) = pseudonymise([raw(id_number="441900198001151011")], KEY, year=2015, unit_code="x", profile=PROFILE)
    assert d["id_valid"] is False and d["person"] is not None and d["birth_ok"] is True


def test_same_id_same_pseudonym_other_key_other_pseudonym():
    a = pseudonymise([raw()], KEY, year=2015, unit_code="a", profile=PROFILE)[0]["person"]
    b = pseudonymise([raw(id_number=VALID_M[:-1] + " " + VALID_M[-1], name="张 三")], KEY,
                     year=2016, unit_code="b", profile=PROFILE)[0]["person"]
    c = pseudonymise([raw()], bytes(32), year=2015, unit_code="a", profile=PROFILE)[0]["person"]
    assert a == b != c
    assert len(a) == 16


def test_duplicates_within_and_across_units_on_pseudonyms():
    x = pseudonymise([raw(row=5, seq=1), raw(row=6, seq=2, name="张叁")], KEY, year=2015,
                     unit_code="441900003", profile=PROFILE)
    y = pseudonymise([raw(id_number=VALID_F, sex="女", birth="1949.12", row=5, seq=1),
                      raw(row=6, seq=2)], KEY, year=2015, unit_code="441900004", profile=PROFILE)
    ros = pd.DataFrame(x + y).assign(sheet="表4", source_file="f.xlsx")
    found = validate(pd.DataFrame(), ros, None, year=2015, profile=PROFILE)
    p04 = found.loc[found["rule"] == "P04", ["unit_code", "message"]].values.tolist()
    assert p04 == [["441900003", "表4 第5、6行(序号1、2)为同一人，重复填报"]]
    p05 = found.loc[found["rule"] == "P05", ["unit_code", "cells"]].values.tolist()
    assert p05 == [["441900003", "表4!5:5;表4!6:6"], ["441900004", "表4!6:6"]]
    assert not found["message"].str.contains("张|" + VALID_M).any()


def test_key_created_0600_and_reused(tmp_path):
    path = tmp_path / "cfg" / "talentstats" / "pseudonym.key"
    key = load_or_create_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == key
    path.write_bytes(b"short")
    with pytest.raises(ParameterError):
        load_or_create_key(path)


def test_key_refused_inside_repo_or_processed(tmp_path, monkeypatch):
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    with pytest.raises(ParameterError, match="repository"):
        load_or_create_key(tmp_path / "repo" / "keys" / "k")
    monkeypatch.setenv("TALENTSTATS_PROCESSED", str(tmp_path / "processed"))
    with pytest.raises(ParameterError, match="must not lie inside"):
        load_or_create_key(tmp_path / "processed" / "k")
    assert not (tmp_path / "processed").exists()


def test_key_readable_by_others_is_used_with_a_warning(tmp_path, caplog):
    path = tmp_path / "keys" / "k"
    key = load_or_create_key(path)
    with caplog.at_level("WARNING", logger="talentstats.reading.roster"):
        assert load_or_create_key(path) == key
    assert caplog.records == []
    path.chmod(0o640)
    with caplog.at_level("WARNING", logger="talentstats.reading.roster"):
        assert load_or_create_key(path) == key
    assert [r.getMessage() for r in caplog.records] == [
        f"假名密钥 {path} 可被其他用户读取（权限 640），请执行 chmod 600 / the pseudonym key {path} "
        "can be read by group or others (mode 640): chmod 600 it"]


def test_field_recognition():
    assert category_item("专业技术人才", PROFILE.forms["TR1"].categories) == 130
    assert category_item("1.党政人才", PROFILE.forms["TR1"].categories) == 110
    assert category_item("高技能", PROFILE.forms["TR1"].categories) == 140
    assert category_item("其他", PROFILE.forms["TR1"].categories) is None
    assert industry_section("C") == "C"
    assert industry_section("金融业") == "J"
    assert industry_section("软件和信息技术服务业") == "I"
    assert industry_section("医院") == "Q"
    assert industry_section("不详") is None
    assert birth_year_month("1978年5月") == (1978, (5,))
    assert birth_year_month(197805) == (1978, (5,))
    assert birth_year_month(1978.12) == (1978, (12,))
    assert birth_year_month("") == (None, ())


def test_every_roster_text_column_is_scrubbed_of_names_and_ids_in_all_their_forms():
    """序号 is scrubbed like 备注 (roster messages quote it); IDs written with spaces or
    hyphens, and 15-digit ones, are found; a name padded with a full-width space is matched
    with or without that space."""
    from talentstats.store.api import redact_personal

    key = b"k" * 32
    rows = [
        {"seq": "440902197903248652", "name": "何　娟雪", "id_number": "440902197903248652",
         "note": "何娟雪，原证 4401 0319 7704 1722 13", "employer": "何 娟 雪工作室", "row": 5},
        {"seq": "何娟雪", "name": "何娟雪", "id_number": "",
         "note": "配偶 440902-19790324-8652，旧证 440902790324865，电话 13800138000",
         "title": "何　娟雪", "row": 6},
    ]
    out = pseudonymise(rows, key, year=2013, unit_code="441900102", profile=PROFILE)
    r = "［已删除］"
    assert [(p["seq"], p["note"], p["employer"], p["title"]) for p in out] == [
        (r, f"{r}，原证 {r}", f"{r}工作室", None),
        (r, f"配偶 {r}，旧证 {r}，电话 13800138000", None, r),
    ]
    frame = pd.DataFrame({"note": pd.array(["证 4401 0319 7704 1722 13", "单号 441900102",
                                            "440902-19790324-8652"], dtype="string")})
    out, n = redact_personal(frame)
    assert n == 2 and out["note"].tolist() == [f"证 {r}", "单号 441900102", r]
