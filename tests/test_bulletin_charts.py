"""Charts draw every Chinese character (a missing glyph is an error: pyproject filterwarnings)."""

import warnings

import bulletin_fixture as bf

from talentstats.publication import charts as C
from talentstats.publication import tables as T


def _draw(fig):
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Glyph.*missing from font", category=UserWarning)
        png = C.figure_png(fig)
    assert png.startswith(b"\x89PNG")
    return png


def test_cjk_font_registered():
    family = C.use_cjk_font()
    assert "CJK" in family or "Hei" in family


def test_all_charts_render_without_missing_glyphs():
    d = bf.bulletin_data()
    fund, profile = T.fund_by_unit(d), d.profile
    for fig in (
        C.trend_chart(profile, d.indicators, 2015),
        C.structure_chart(profile, d.indicators, 2015),
        C.units_chart(profile, d.indicators, 2015),
        C.fund_ratio_chart(profile, fund, 2015),
        C.investment_chart(profile, d.indicators, 2015),
        C.score_chart(profile, d.indicators, 2015),
    ):
        _draw(fig)


def test_missing_font_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(C, "FONT_CANDIDATES", ())
    C.use_cjk_font.cache_clear()
    try:
        try:
            C.use_cjk_font(str(tmp_path / "none.ttc"))
        except C.CJKFontNotFound as exc:
            assert "fonts-noto-cjk" in str(exc)
        else:
            raise AssertionError("expected CJKFontNotFound")
    finally:
        C.use_cjk_font.cache_clear()
        monkeypatch.undo()
        C.use_cjk_font()
