"""The report layer's shortcuts give what the long way gives: one drawing per figure cropped like
savefig's tight box, tick labels formatted once per set of ticks, raw alpha without item analysis.

Nothing here times anything (speed is measured by benchmarks/profile_reports.py).
"""
from __future__ import annotations

import base64
import io
import re
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

from survey import report  # noqa: E402


def _tight_size(fig) -> tuple[int, int]:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return Image.open(buf).size


def _embedded(fragment) -> Image.Image:
    data = re.search(r'src="data:image/png;base64,([^"]+)"', fragment.html).group(1)
    return Image.open(io.BytesIO(base64.b64decode(data)))


def _figure(outside: float = 0.0):
    """A bar chart whose legend hangs ``outside`` inches below the figure."""
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.bar(["a", "b", "c"], [1.5, 2.25, 0.5], label="nilai")
    ax.set_title("Judul")
    fig.tight_layout()
    if outside:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -outside / ax.get_position().height / 3))
    return fig


@pytest.mark.parametrize("outside", [0.0, 0.6])
def test_figure_has_the_size_and_picture_of_savefig_tight(outside):
    buf = io.BytesIO()
    _figure(outside).savefig(buf, format="png", dpi=110, bbox_inches="tight")
    expected = np.asarray(Image.open(buf).convert("L"), dtype=float)
    img = _embedded(report.figure(_figure(outside), "id", "Diagram batang"))
    got = np.asarray(img.convert("L"), dtype=float)
    assert got.shape == expected.shape
    # the same picture up to anti-aliasing (savefig places it a fraction of a pixel differently)
    assert np.abs(got - expected).mean() < 3
    assert (got[:5] == 255).all() and (got[-5:] == 255).all() and (got < 200).any()


def test_drawing_far_outside_the_figure_is_kept():
    fig = _figure()
    fig.text(-2.0, 0.5, "jauh di kiri", transform=fig.dpi_scale_trans)  # 2 inches left of the figure
    expected = _tight_size(fig)
    img = _embedded(report.figure(fig, "id", "Diagram batang"))
    assert img.size == expected


def test_see_through_figure_keeps_its_transparent_background():
    fig = _figure()
    fig.patch.set_alpha(0.0)
    img = _embedded(report.figure(fig, "id", "Diagram batang"))
    assert img.mode == "RGBA" and img.getpixel((0, 0))[3] == 0


def test_tick_labels_ask_the_locator_no_more_than_matplotlib_does():
    def draw(localized: bool) -> tuple[int, list[str]]:
        fig, ax = plt.subplots()
        ax.plot([0, 1, 2], [0.0, 1.25, 2.5])
        if localized:
            report.localize_figure(fig, "id")
        locator = ax.yaxis.get_major_locator()
        calls = []
        real = type(locator).__call__
        type(locator).__call__ = lambda self: calls.append(1) or real(self)
        try:
            fig.canvas.draw()
        finally:
            type(locator).__call__ = real
        labels = [t.get_text() for t in ax.get_yticklabels()]
        plt.close(fig)
        return len(calls), labels

    plain_calls, _ = draw(False)
    calls, labels = draw(True)
    assert labels[:3] == ["0,0", "0,5", "1,0"] or labels[1:4] == ["0,0", "0,5", "1,0"]
    # the formatter takes the decimals from the ticks matplotlib hands it, never from the locator
    assert calls == plain_calls


def test_tick_decimals_come_from_the_whole_set_of_ticks():
    fig, ax = plt.subplots()
    ax.set_ylim(0, 1000)
    ax.set_yticks([0, 250, 500, 750, 1000])
    report.localize_figure(fig, "en")
    fig.canvas.draw()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "250", "500", "750", "1,000"]
    ax.set_yticks([0, 0.25, 0.5])
    fig.canvas.draw()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.00", "0.25", "0.50"]
    plt.close(fig)


def test_raw_alpha_is_the_hand_formula_and_alphas_raw_alpha():
    from survey import datasets
    from survey.reliability import alpha
    from survey.reliability.alpha import raw_alpha

    df = datasets.load("reaction")[["REL1", "REL2", "REL3", "REL4"]]
    complete = df.dropna().astype(float)
    x = complete.to_numpy()
    x[:, 3] = (1 + 5) - x[:, 3]  # REL4 reverse-keyed on its 1-5 scale
    k = x.shape[1]
    by_hand = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    assert raw_alpha(complete, keys=["REL4"]) == pytest.approx(by_hand, abs=1e-12)
    # with missing answers: the pairwise covariances of alpha itself
    holes = df.astype("Float64").copy()
    holes.iloc[::7, 1] = pd.NA
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # alpha's own notes on the items are not the point here
        assert raw_alpha(holes, keys=["REL4"]) == alpha(holes, keys=["REL4"]).raw_alpha


def test_waves_table_shows_raw_alpha_of_each_wave(demo_dir):
    from survey.reliability import alpha_for
    from survey.report.reliability import ReliabilityReport

    rep = ReliabilityReport.load(str(demo_dir / "training_reaction.csv"), "training_reaction", lang="en",
                                 id="employee_id", wave="wave")
    html = rep.waves_table().html
    wave = rep.waves[0]
    d = rep.df[rep.df[rep.wave_col] == wave]
    expected = alpha_for(d, rep.inst, rep.constructs[0]).raw_alpha
    assert report.format_number(expected, "en", 2) in html


@pytest.mark.parametrize("outside, draws", [(0.0, 1), (0.6, 2)])
def test_a_figure_is_drawn_once_unless_it_reaches_past_its_edges(monkeypatch, outside, draws):
    from matplotlib.figure import Figure

    fig = _figure(outside)
    calls = []
    real = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda self, renderer: calls.append(1) or real(self, renderer))
    report.figure(fig, "id", "Diagram batang")
    assert len(calls) == draws


def _ink(gray: np.ndarray) -> np.ndarray:
    rows, cols = np.flatnonzero((gray < 255).any(axis=1)), np.flatnonzero((gray < 255).any(axis=0))
    return gray[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def test_a_laid_out_figure_is_cropped_to_its_paint_without_measuring(monkeypatch):
    from matplotlib.figure import Figure

    from survey.plots._figure import laid_out, subplots

    def make():
        fig, ax = subplots(figsize=(5, 3))
        ax.bar(["a", "b", "c"], [1.5, 2.25, 0.5], label="nilai")
        ax.set_title("Judul")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15))  # below the axes: the layout fits it in
        return laid_out(fig)

    buf = io.BytesIO()
    make().savefig(buf, format="png", dpi=110, bbox_inches="tight")
    expected = np.asarray(Image.open(buf).convert("L"), dtype=float)
    draws, measures = [], []
    real_draw, real_tight = Figure.draw, Figure.get_tightbbox
    monkeypatch.setattr(Figure, "draw", lambda self, renderer: draws.append(1) or real_draw(self, renderer))
    monkeypatch.setattr(Figure, "get_tightbbox", lambda self, *a, **k: measures.append(1) or real_tight(self, *a, **k))
    got = np.asarray(_embedded(report.figure(make(), "id", "Diagram batang")).convert("L"), dtype=float)
    assert len(draws) == 1 and not measures
    # the same painted picture up to anti-aliasing (savefig places it a fraction of a pixel
    # differently), with savefig's padding of 0.1 inch (11 px) around it
    a, b = _ink(got), _ink(expected)
    assert abs(a.shape[0] - b.shape[0]) <= 2 and abs(a.shape[1] - b.shape[1]) <= 2
    h, w = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    assert np.abs(a[:h, :w] - b[:h, :w]).mean() < 6
    assert abs((a < 128).sum() - (b < 128).sum()) < 0.03 * (b < 128).sum()
    pad = round(0.1 * 110)
    assert got.shape == (a.shape[0] + 2 * pad, a.shape[1] + 2 * pad)


def test_a_laid_out_figure_with_a_text_outside_is_measured_and_kept():
    from survey.plots._figure import laid_out, subplots

    fig, ax = subplots(figsize=(5, 3))
    ax.bar(["a", "b"], [1.0, 2.0])
    fig.text(-1.0, 0.5, "jauh di kiri", transform=fig.dpi_scale_trans)  # an inch left of the figure
    laid_out(fig)
    expected = _tight_size(fig)
    assert _embedded(report.figure(fig, "id", "Diagram batang")).size == expected


def test_correlation_heat_table_holds_every_pairwise_correlation_once(demo_dir):
    from survey.report.reliability import ReliabilityReport

    rep = ReliabilityReport.load(str(demo_dir / "training_reaction.csv"), "training_reaction", lang="en",
                                 id="employee_id", wave="wave")
    html = rep.correlations().html
    items = [i.name for c in rep.results for i in rep.inst.items_of(c)]
    r = rep.head_df[items].astype(float).corr()  # pairwise-complete Pearson
    cells = re.findall(r'<td class="num[^"]*"(?: style="[^"]*")?>([^<]*)</td>', html)
    n = len(items)
    assert len(cells) == (n - 1) * (n - 1)
    filled = [c for c in cells if c]
    assert len(filled) == n * (n - 1) // 2  # the lower triangle, without the diagonal
    assert report.format_number(r.iloc[1, 0], "en", 2) == filled[0]
    assert report.format_number(r.iloc[n - 1, n - 2], "en", 2) == filled[-1]


@pytest.mark.parametrize("rows, cols", [(1, 1), (2, 2), (1, 3)])
def test_laid_out_places_the_axes_where_tight_layout_does(rows, cols):
    from survey.plots._figure import laid_out, subplots

    def make():
        fig, axes = subplots(rows, cols, figsize=(7, 4), squeeze=False)
        for k, ax in enumerate(axes.flat):
            ax.barh(range(4), [1, 3, 2, 4])
            ax.set_yticks(range(4), [f"a label of item {i}" + " longer" * k for i in range(4)])
            ax.set_title(f"Panel {k}")
            ax.set_xlabel("nilai")
        fig.suptitle("Judul")
        return fig

    expected = make()
    expected.tight_layout()
    got = laid_out(make())
    got.canvas.draw()
    for a, b in zip(expected.axes, got.axes):
        assert np.allclose(a.get_position().bounds, b.get_position().bounds, atol=1e-12)
    plt.close("all")


def test_answer_chart_shows_each_items_shares_of_its_answers(demo_dir):
    from survey.report.reliability import ReliabilityReport

    rep = ReliabilityReport.load(str(demo_dir / "training_reaction.csv"), "training_reaction", lang="en",
                                 id="employee_id", wave="wave")
    html = rep.item_analysis().html
    construct = next(iter(rep.results))
    items = list(rep.results[construct].items.index)
    chart = html.split('class="survey-table survey-bars survey-stacked"')[1].split("</table>")[0]
    rows = chart.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")[:-1]
    assert len(rows) == len(items)
    values = [o.value for o in rep.inst.scale_of(items[0]).options]
    for item, row in zip(items, rows):
        answers = rep.head_df[item].dropna()
        shares = answers.value_counts(normalize=True).reindex(values, fill_value=0) * 100
        titles = re.findall(r'title="[^"]*: ([0-9.]+)%"', row)
        assert [float(x) for x in titles] == [round(s, 1) for s in shares if s > 0]
        assert f">{item} " in row
    assert html.count("survey-stacked") == len(rep.results) and "<img" not in html
