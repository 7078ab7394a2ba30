import pytest

from talentstats.profile.text import normalize_label, to_simplified


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("　其中：高级职称 ", "高级职称"),
        ("（一）党政人才", "党政人才"),
        ("1.党政人才", "党政人才"),
        ("1、党政人才", "党政人才"),
        ("一、人才资源总量", "人才资源总量"),
        ("补充资料：创新创业领军人才", "创新创业领军人才"),
        ("36-45岁", "36-45岁"),
        ("35岁及以下", "35岁及以下"),
        ("单位：万元", "单位:万元"),
        ("東城區", "东城区"),
        (None, ""),
    ],
)
def test_normalize_label(raw, key):
    assert normalize_label(raw) == key


def test_traditional_unit_names_become_simplified():
    assert to_simplified("石龍鎮") == "石龙镇"
    assert to_simplified("橫瀝") == "横沥"
