"""The report layer's catalogs and formatting: hand-written expectations for id_ID and en_GB."""
from __future__ import annotations

import datetime

import pytest

from survey import report
from survey.errors import ParameterError


def test_every_catalog_has_both_languages_and_valid_templates():
    for area in report.areas():
        catalog = report.load_catalog(area)
        assert catalog, area
        for key, texts in catalog.items():
            assert set(texts) == {"id", "en"}, (area, key)
            # the two languages ask for the same placeholders
            import string
            fields = [{f for _, f, _, _ in string.Formatter().parse(texts[lang]) if f} for lang in ("id", "en")]
            assert fields[0] == fields[1], (area, key, fields)


def test_t_fills_and_names_what_is_missing():
    assert report.t("common.n_respondents", "id", n=report.format_int(1440, "id")) == "1.440 responden"
    with pytest.raises(ParameterError, match="needs the value 'n'"):
        report.t("common.n_respondents", "id")
    with pytest.raises(ParameterError, match="no message"):
        report.t("common.nope", "id")
    with pytest.raises(ParameterError, match="report language"):
        report.t("common.summary_title", "fr")


def test_bad_catalog_is_refused(tmp_path, monkeypatch):
    from survey.report import catalog

    (tmp_path / "bad.yaml").write_text("key:\n  id: satu\n", encoding="utf-8")
    monkeypatch.setattr(catalog, "MESSAGES_DIR", tmp_path)
    catalog.load_catalog.cache_clear()
    try:
        with pytest.raises(ParameterError, match="exactly"):
            catalog.load_catalog("bad")
    finally:
        catalog.load_catalog.cache_clear()


@pytest.mark.parametrize("func, args, id_text, en_text", [
    (report.format_number, (1234567.891, 2), "1.234.567,89", "1,234,567.89"),
    (report.format_number, (-0.004, 2), "0,00", "0.00"),
    (report.format_int, (288,), "288", "288"),
    (report.format_int, (15000,), "15.000", "15,000"),
    (report.format_percent, (0.6913, 1), "69,1%", "69.1%"),
    (report.format_pvalue, (0.0004,), "< 0,001", "< 0.001"),
    (report.format_pvalue, (0.05,), "0,050", "0.050"),
    (report.format_interval, (-0.25, 1.0, 2), "[-0,25; 1,00]", "[-0.25, 1.00]"),
    (report.format_date, (datetime.date(2024, 10, 17),), "17 Oktober 2024", "17 October 2024"),
])
def test_formatting_by_locale(func, args, id_text, en_text):
    # the language goes after the value(s): one value, or low and high for an interval
    k = 2 if func is report.format_interval else 1
    assert func(*args[:k], "id", *args[k:]) == id_text
    assert func(*args[:k], "en", *args[k:]) == en_text


def test_missing_values_show_a_dash():
    import pandas as pd

    assert report.format_number(pd.NA, "id") == report.MISSING
    assert report.format_pvalue(None, "en") == report.MISSING


def test_bad_digits_and_pvalues():
    with pytest.raises(ParameterError):
        report.format_number(1.0, "id", -1)
    with pytest.raises(ParameterError):
        report.format_pvalue(1.5, "id")


def test_localize_figure_covers_heatmaps_colour_bars_and_bar_labels():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import seaborn as sns

    fig, (ax1, ax2) = plt.subplots(1, 2)
    sns.heatmap(np.array([[71.25, 80.5], [1.5, 2.25]]), annot=True, fmt=".2f", ax=ax1)
    bars = ax2.bar(["a", "b"], [1234.5, 0.25])
    ax2.bar_label(bars, fmt="%.1f")
    report.localize_figure(fig, "id")
    fig.canvas.draw()
    texts = [t.get_text() for t in ax1.texts] + [t.get_text() for t in ax2.texts]
    assert texts[:4] == ["71,25", "80,50", "1,50", "2,25"]
    assert "1.234,5" in texts and "0,2" in texts
    cbar = fig.axes[-1]
    ticks = [t.get_text() for t in cbar.get_yticklabels() if t.get_text()]
    assert ticks and all("." not in t for t in ticks)
    plt.close(fig)


def test_table_escapes_and_formats_and_suppresses():
    import pandas as pd

    df = pd.DataFrame({"Unit": ["<script>x</script>", "B"], "n": [40, 2], "IKM": [69.125, 80.0]})
    html = report.table(df, "id", caption="<b>c</b>", min_cell=5, count="n").html
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;c&lt;/b&gt;" in html
    assert "69,13" in html and "80,00" not in html  # the row of 2 respondents is blanked
    assert "kurang dari 5 responden" in html


def test_header_carries_language_and_title_for_the_template():
    h = report.header("Judul", "id", period="2026-S1", agency="BKPSDM Kota Medan", date="2026-12-01")
    bundle = h._repr_mimebundle_()
    assert bundle["application/vnd.survey.report+json"]["lang"] == "id"
    assert bundle["application/vnd.survey.report+json"]["title"] == "Judul · 2026-S1"
    assert "BKPSDM Kota Medan" in bundle["text/html"] and "1 Desember 2026" in bundle["text/html"]
    with pytest.raises(ParameterError):
        report.figure(None, "id", alt="")


def test_heat_table_colours_each_value_and_writes_it_legibly():
    import matplotlib as mpl
    import numpy as np
    import pandas as pd

    values = pd.DataFrame({"<b>Kompetensi</b>": [0.0, 1.5, np.nan]}, index=["<script>x</script>", "KEL-01", "KEL-02"])
    html = report.heat_table(values, "id", cmap="Reds", vmin=0.0, vmax=1.5, key="Rerata kesenjangan:").html
    # labels escaped, numbers in the report's language
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;Kompetensi" in html
    assert ">0,00<" in html and ">1,50<" in html
    low, high = (mpl.colormaps["Reds"](x) for x in (0.0, 1.0))
    hexes = ["#{:02x}{:02x}{:02x}".format(*(round(c * 255) for c in rgba[:3])) for rgba in (low, high)]
    # the palest red carries black text, the darkest white text (WCAG contrast)
    assert f"background:{hexes[0]};color:#000" in html and f"background:{hexes[1]};color:#fff" in html
    # a missing value is an empty, uncoloured cell
    assert html.count('<td class="num"></td>') == 1
    assert "Rerata kesenjangan:" in html and "linear-gradient" in html


def test_bar_table_draws_each_value_on_its_scale_and_escapes_labels():
    import pandas as pd

    values = pd.Series([3.05, float("nan"), 1.0, 4.5], index=["<script>U1</script>", "U2", "U3", "U4"])
    html = report.bar_table(values, "id", lo=1.0, hi=4.0, ticks=[1, 2.5, 4], colours=["#f39c12", "#ccc", "red", "blue"],
                            bands=[("D", 1.0, 2.6, "#e74c3c"), ("<i>A</i>", 2.6, 4.0, "#2e7d32")],
                            marker=(2.84, "Garis: IKM 2,84"), extra=pd.Series(["C", "", "D", "A"], name="Mutu"),
                            head=("Unsur", "NRR"), caption="NRR per unsur").html
    assert "<script>" not in html and "&lt;script&gt;U1" in html and "&lt;i&gt;A&lt;/i&gt;" in html
    # a bar from lo to the value: (3.05 - 1) / 3 of the scale, clipped to the scale at both ends
    assert "width:68.33%;background:#f39c12" in html and "width:0.00%" in html and "width:100.00%" in html
    # the missing value: no bar, the number shown as missing
    assert html.count('class="fill"') == 3 and ">–<" in html
    # numbers and ticks in the report's language; the marker in every row, explained under the table
    assert ">3,05<" in html and ">2,5<" in html and html.count('class="mark m0" style="left:61.33%"') == 4
    assert "Garis: IKM 2,84" in html and ">Mutu<" in html
    # the bands as one gradient behind every bar, tinted (22% of #e74c3c on white: 0.78 * 255 + 0.22 *
    # (231, 76, 60) = (249.7, 215.6, 212.1)), with hard stops at their edges
    assert "#fad8d4 0.00% 53.33%" in html
    assert report.bar_table(pd.Series([2.0], index=["a"]), "en", lo=1, hi=4, marker=(float("nan"), "x")).html.count("mark") == 0


def test_bar_table_with_intervals_draws_dots_on_lines():
    import pandas as pd

    html = report.bar_table(pd.Series([70.0, 80.0, float("nan")], index=["2024-S1", "2024-S2", "2025-S1"]), "en",
                            lo=60.0, hi=90.0, intervals=([65.0, float("nan"), 70.0], [75.0, 85.0, 95.0]),
                            interval_key="Dot: IKM; line: 95% CI").html
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")[:-1]
    # (65 - 60) / 30 = 16.67 %, 10 points wide = 33.33 %; the dot at (70 - 60) / 30
    assert 'class="range" style="left:16.67%;width:33.33%"' in rows[0] and 'class="dot" style="left:33.33%' in rows[0]
    # no lower end: no line, still the dot; an interval past the scale is cut at its end; no bars
    assert 'class="range"' not in rows[1] and 'class="dot" style="left:66.67%' in rows[1]
    assert 'class="range" style="left:33.33%;width:66.67%"' in rows[2] and 'class="dot"' not in rows[2]
    assert 'class="fill"' not in html and "survey-ranges" in html and "Dot: IKM; line: 95% CI" in html


def test_stacked_bar_table_diverges_from_zero_and_hides_no_share():
    import pandas as pd

    shares = pd.DataFrame({"<b>tidak</b>": [10.0, float("nan"), 0.0], "netral": [20.0, float("nan"), 50.0],
                           "setuju": [70.0, float("nan"), 50.0]}, index=["<script>P1</script>", "P2", "P3"])
    left = pd.Series([20.0, float("nan"), 25.0], index=shares.index)  # 10 + half of 20; half of 50
    html = report.stacked_bar_table(shares, "id", colours=["#b2182b", "#c7c7c7", "#2166ac"], offset=left,
                                    legend_title="Nilai:", head="Butir", caption="Sebaran").html
    assert "<script>" not in html and "&lt;script&gt;P1" in html and "&lt;b&gt;tidak&lt;/b&gt;" in html
    # the widest side is 80 (P1's right): the scale runs from -90 to 90 (80 + 5, rounded up to ten)
    # P1 starts at -20: (-20 + 90) / 180 = 38.89%; its parts are 10, 20 and 70 of 180
    assert 'left:38.89%;width:5.56%;background:#b2182b' in html
    assert 'left:44.44%;width:11.11%;background:#c7c7c7' in html and 'left:55.56%;width:38.89%;background:#2166ac' in html
    # the zero line in every row, the numbers of parts of 7 % or more, in the report's language
    assert html.count('class="zero" style="left:50.00%"') == 3 and "<b>70</b>" in html and "<b>10</b>" in html
    assert 'title="setuju: 70,0%"' in html
    # nobody answered P2: no bar; an empty part (P3's 0 %) is not drawn
    rows = html.split("<tbody>")[1].split("</tr>")
    assert 'class="seg"' not in rows[1] and rows[2].count('class="seg"') == 2
    # dark red and blue carry white numbers, the grey black ones
    assert "background:#b2182b;color:#fff" in html and "background:#c7c7c7;color:#000" in html
    assert "Nilai:" in html and html.count("<i style=") == 3
    # ticks (matplotlib's MaxNLocator) on both sides written without their sign
    assert '<span class="first" style="left:0.00%">' not in html and ">50<" in html and ">-50<" not in html


def test_heat_table_diverges_at_its_centre_and_separates_groups():
    import pandas as pd

    values = pd.DataFrame([[0.0, -1.0], [1.0, 0.5]], index=["A2", "B1"], columns=["A1", "A2"])
    html = report.heat_table(values, "en", cmap="RdBu_r", vmin=-1.0, vmax=1.0, center=0.0,
                             groups={"A1": "a", "A2": "a", "B1": "b"}).html
    import matplotlib as mpl

    mid = mpl.colormaps["RdBu_r"](0.5)
    assert "background:#{:02x}{:02x}{:02x}".format(*(round(c * 255) for c in mid[:3])) in html
    # row B1 starts group b after row A2 of group a; the columns stay in one group
    assert '<tr class="edge"><th scope="row">B1' in html and 'class="edge"' not in html.split("</thead>")[0]


def test_heat_table_writes_many_long_column_names_upwards():
    import pandas as pd

    wide = pd.DataFrame([[0.5] * 6], index=["KEL-01"], columns=[f"Kompetensi panjang {i}" for i in range(6)])
    narrow = pd.DataFrame([[0.5] * 6], index=["REL2"], columns=[f"REL{i}" for i in range(6)])
    assert 'class="survey-heat-upwards"' in report.heat_table(wide, "id", cmap="Reds", vmin=0, vmax=1).html
    assert "survey-heat-upwards" not in report.heat_table(narrow, "id", cmap="Reds", vmin=0, vmax=1).html
