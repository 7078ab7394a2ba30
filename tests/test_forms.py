from talentstats.profile import forms
from talentstats.profile.forms import form


def test_all_five_forms_are_declared_in_order():
    assert list(forms.forms()) == ["TR1", "TR2", "TR3", "TR4", "TR5"]
    assert [f.table_no for f in forms.forms().values()] == [
        "东人统1表", "东人统2表", "东人统3表", "东人统4表", "东人统5表"
    ]


def test_tr1_items_and_columns_match_the_reporting_system():
    tr1 = form("TR1")
    assert tr1.item_codes == (100, 110, 120, 130, 131, 132, 133, 140, 141, 142, 143, 150, 160,
                              210, 220, 230, 240)
    assert tr1.column_codes == tuple(range(1, 12))
    assert tr1.column(2).short_name == "女性"
    assert [c.code for c in tr1.columns if c.group == "学历"] == [3, 4, 5, 6, 7]
    assert [c.code for c in tr1.columns if c.group == "年龄"] == [8, 9, 10, 11]
    assert tr1.unit == "人" and tr1.value_type == "count"


def test_item_spellings_are_normalised_and_include_the_printed_label():
    it = form("TR1").item(131)
    assert it.label == "　其中：高级职称"
    assert it.spellings()[0] == "高级职称"
    assert "具有高级职称" in it.spellings()


def test_tr3_declares_units_and_value_types_per_item():
    tr3 = form("TR3")
    assert tr3.item_value_type(401) == "flag"
    assert tr3.item_value_type(405) == "count"
    assert tr3.item_unit(408) == "人次"
    assert form("TR2").item_value_type(300) == "money"


def test_roster_marks_names_and_id_numbers_as_personal():
    tr4 = form("TR4")
    assert tr4.is_roster
    assert {f.key for f in tr4.fields if f.personal} == {"name", "id_number"}


def test_unknown_form_names_the_known_ones():
    try:
        form("TR9")
    except KeyError as exc:
        assert "TR1" in str(exc)
    else:
        raise AssertionError("TR9 should be unknown")


def test_spellings_never_collide_between_items_of_one_form():
    for f in forms.forms().values():
        seen: dict[str, int] = {}
        for it in f.items:
            for s in it.spellings():
                assert seen.setdefault(s, it.code) == it.code, (f.code, s)
