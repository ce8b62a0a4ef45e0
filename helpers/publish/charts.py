"""Charts of the annex: each rate indicator per commune (with its target) and across the years.

Figures are built with matplotlib's object API (no pyplot state, no display needed) and returned
as SVG documents for embedding in the HTML as ``data:`` URIs. Text stays text
(``svg.fonttype: none``), so chart words can be selected and searched in the HTML and the PDF;
the SVG names DejaVu Sans (the font matplotlib measures with), then the browser's sans-serif.
Every word on a chart comes from ``reference/annex.toml`` (``[charts]``); communes below target
are hatched, so the chart reads the same without colour. A trend chart whose years span a reform
of the units (1/7/2025, from ``reference/units_vietnam.csv``) marks it with a labelled vertical
rule; years an entity has no comparable figures for are shown empty, with a note.

Drawing dominates the annex's time, so :func:`rate_charts` draws every chart of one kind in one
figure, cleared between indicators (:func:`_prepare_axes`): matplotlib then keeps the axes and
their tick objects instead of building them again for each chart. A chart drawn this way is the
same document as one drawn in a new figure.
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerPatch
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import Affine2D, blended_transform_factory

from helpers.compute.projection import project_to_target_year
from helpers.compute.rules import STATUS_NOT_MET, projects
from helpers.compute.series import not_comparable_years, reform_dates
from helpers.numbers import format_number
from helpers.reference import ReportingYear

# "sans-serif" with DejaVu Sans as its only member: matplotlib measures (and warns about missing
# glyphs) with DejaVu Sans, and the SVG says "'DejaVu Sans', sans-serif" for machines without it.
# A fixed hash salt makes the SVG's internal ids the same on every run.
FONT = {"font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"], "font.size": 9,
        "svg.fonttype": "none", "svg.hashsalt": "xhht-annex"}
SVG_MIME = "image/svg+xml"
# no date (the same figure gives the same bytes) and no Dublin Core block with matplotlib's web address
SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
COLOUR_MET, COLOUR_NOT_MET, COLOUR_PLAIN = "#3f6fa8", "#e0b25c", "#7f9cbf"
HATCH_NOT_MET = "////"
# Hatched bars are drawn as images at this resolution inside the SVG, everything else stays vector:
# Chromium prints an SVG hatch pattern (matplotlib's way of hatching in SVG) to PDF as a coarse
# image of its own (blurred hatching, a PDF twice as large). See also _HatchedKey.
HATCH_DPI = 200
TITLE_WIDTH = 84
MIN_SPAN = 10.0  # percentage points: the least range of a value axis (all-zero data stays readable)
BAR_HEIGHT, BAR_MARGIN = 0.8, 0.05  # matplotlib's bar height and default axes margin (fraction of the span)
WIDTH_IN, BAR_IN, LINE_IN, CHAR_IN = 7.2, 0.3, 0.19, 0.078  # figure width, bar pitch, title line, label char
RIGHT_IN = 0.45  # right margin
TREND_PLOT_IN, TREND_LEFT_IN = 2.2, 0.75  # a trend chart's plot height and left margin
COLOUR_REFORM, NOTE_WIDTH = "#6a3d9a", 30  # the reform's rule; characters a line of a note over years
# Where matplotlib puts the axis titles below / left of the tick labels (top of the x title, right
# edge of the y title, inches from the axes). Placed explicitly, matplotlib need not measure every
# tick label once more to place them: a sixth of the drawing time.
XLABEL_GAP_IN, YLABEL_GAP_IN = 20 / 72, 0.3128


@dataclass(frozen=True)
class Chart:
    """One chart ready to embed (:func:`helpers.publish.html.render_charts_section`): which indicator,
    which kind, its Vietnamese alt text and the image (``mime`` says which format)."""

    indicator_id: str
    kind: str          # communes | trend
    alt: str
    image: bytes
    mime: str = SVG_MIME


class _HatchedKey(HandlerPatch):
    """The legend key of a hatched patch, its hatch drawn as lines clipped to the key.

    Not an SVG pattern (see :data:`HATCH_DPI`), and not rasterized: matplotlib misplaces a
    rasterized artist inside a legend. The key (``handlelength`` × font size, 16 pt here) fits in
    one tile of the hatch (1 inch), so one copy of :meth:`Path.hatch` is enough.
    """

    def create_artists(self, legend, orig_handle, xdescent, ydescent, width, height, fontsize, trans):
        key = Rectangle((-xdescent, -ydescent), width, height)
        self.update_prop(key, orig_handle, legend)
        key.set_hatch(None)
        key.set_transform(trans)
        lines = PathPatch(Path.hatch(orig_handle.get_hatch()), fill=False, edgecolor=orig_handle.get_hatchcolor(),
                          linewidth=orig_handle.get_hatch_linewidth(),
                          transform=Affine2D().scale(72).translate(-xdescent, -ydescent) + trans)
        lines.set_clip_path(key)
        return [key, lines]


def _decimal_comma(decimals: int = 0) -> FuncFormatter:
    return FuncFormatter(lambda value, _pos: format_number(value, decimals))


def _title(text: str) -> str:
    return "\n".join(textwrap.wrap(text, TITLE_WIDTH))


def _prepare_axes(figure: Figure | None, title: str, *, plot_in: float, left_in: float, bottom_in: float = 1.0):
    """A figure with one axes, fixed margins (inches) and the title.

    Constrained layout would double the drawing time, and 30-odd charts are drawn per year. With
    ``figure`` (one returned earlier by the same chart function) its axes is cleared of the previous
    chart and reused; the caller sets everything else again (limits, ticks, labels, legend).
    """
    top_in = 0.2 + LINE_IN * (title.count("\n") + 1)
    height = top_in + plot_in + bottom_in
    if figure is None:
        figure = Figure(figsize=(WIDTH_IN, height))
        axes = figure.add_subplot()
    else:
        figure.set_size_inches(WIDTH_IN, height)
        axes = figure.axes[0]
        _clear(axes)
    figure.subplots_adjust(left=left_in / WIDTH_IN, right=1 - RIGHT_IN / WIDTH_IN, top=1 - top_in / height,
                           bottom=bottom_in / height)
    # an explicit y: the default (automatic) title position measures every tick label once more
    # per drawing, to move the title above ticks on top, and these axes have none there
    axes.set_title(title, fontsize=10, y=1.0)
    return figure, axes


def _clear(axes) -> None:
    """Remove what a chart drew on ``axes`` (bars, lines, texts, legend), keeping the axes itself."""
    for container in list(axes.containers):
        container.remove()
    for artist in [*axes.patches, *axes.lines, *axes.texts, *axes.collections]:
        artist.remove()
    if axes.get_legend() is not None:
        axes.get_legend().remove()


def figure_svg(figure: Figure) -> bytes:
    """The figure as an SVG document (UTF-8), the same bytes for the same figure; rasterized
    artists (hatched bars) are embedded PNG images at :data:`HATCH_DPI`."""
    buffer = io.BytesIO()
    with matplotlib.rc_context(FONT):
        figure.savefig(buffer, format="svg", metadata=SVG_METADATA, dpi=HATCH_DPI)
    return buffer.getvalue()


def _target_text(target: float) -> str:
    return format_number(target, 0 if float(target).is_integer() else 1)


def commune_chart(indicators: pd.DataFrame, catalogue: pd.DataFrame, communes: pd.DataFrame,
                  indicator_id: str, wording: dict, *, year: int, target_year: int,
                  units_noun: str, figure: Figure | None = None) -> tuple[Figure, str] | None:
    """A bar per commune for one rate indicator, the target as a line; ``None`` without values.

    Returns the figure (``figure``, from an earlier call, when given) and its alt text.
    """
    words = wording["charts"]
    ind = catalogue.set_index("id").loc[indicator_id]
    decimals = int(ind["decimals"])
    names = communes.set_index("code")["full_name"]
    rows = indicators[(indicators["year"] == year) & (indicators["indicator_id"] == indicator_id)
                      & indicators["unit_code"].isin(names.index)]
    rows = rows.assign(name=rows["unit_code"].map(names)).sort_values("value", ascending=True, na_position="first")
    if rows["value"].notna().sum() == 0:
        return None
    targets = rows["target"].dropna()
    target = float(targets.iloc[0]) if len(targets) else None
    below = rows["status"] == STATUS_NOT_MET
    values = rows["value"].astype("float64").fillna(0.0)
    top = max([*values, target or 0.0, MIN_SPAN])

    with matplotlib.rc_context(FONT):
        title = _title(words["commune_title"].format(label=ind["label"], year=year))
        left_in, plot_in = 0.2 + CHAR_IN * max(len(n) for n in rows["name"]), BAR_IN * len(rows) + 0.2
        figure, axes = _prepare_axes(figure, title, plot_in=plot_in, left_in=left_in)
        colours = [COLOUR_PLAIN if target is None else (COLOUR_NOT_MET if b else COLOUR_MET) for b in below]
        # numeric positions named by ticks (not category strings, whose order a reused axes would keep)
        positions = range(len(rows))
        bars = axes.barh(positions, list(values), height=BAR_HEIGHT, color=colours, edgecolor="#222222",
                         linewidth=0.6)
        axes.set_yticks(positions, list(rows["name"]))
        span = len(rows) - 1 + BAR_HEIGHT
        axes.set_ylim(-BAR_HEIGHT / 2 - BAR_MARGIN * span, len(rows) - 1 + BAR_HEIGHT / 2 + BAR_MARGIN * span)
        for bar, is_below in zip(bars, below, strict=True):
            if is_below:
                bar.set_hatch(HATCH_NOT_MET)
                bar.set_rasterized(True)  # see HATCH_DPI
        for bar, value, status in zip(bars, rows["value"], rows["status"], strict=True):
            text = format_number(value, decimals) if pd.notna(value) else status
            axes.annotate(text, (bar.get_width(), bar.get_y() + bar.get_height() / 2), xytext=(3, 0),
                          textcoords="offset points", va="center", fontsize=8)
        handles = []
        if target is not None:
            label = words["target"].format(target_year=target_year, value=_target_text(target))
            handles.append(axes.axvline(target, color="#a00000", linestyle="--", linewidth=1.2, label=label))
            handles += [Patch(facecolor=COLOUR_MET, edgecolor="#222222", label=words["met"]),
                        Patch(facecolor=COLOUR_NOT_MET, edgecolor="#222222", hatch=HATCH_NOT_MET,
                              label=words["not_met"])]
        else:
            handles.append(Patch(facecolor=COLOUR_PLAIN, edgecolor="#222222", label=words["no_target"]))
        axes.set_xlim(0, min(top * 1.18, 112) if top <= 100 else top * 1.18)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.xaxis.set_major_formatter(_decimal_comma())
        axes.set_xlabel(words["value_axis"])
        axes.xaxis.set_label_coords(0.5, -XLABEL_GAP_IN / plot_in)
        axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(-left_in / WIDTH_IN + 0.05, -0.5 / plot_in),
                    ncol=len(handles), fontsize=8, frameon=False,
                    handler_map={h: _HatchedKey() for h in handles if isinstance(h, Patch) and h.get_hatch()})
        axes.spines[["top", "right"]].set_visible(False)

    details = []
    if target is not None:
        details.append(words["alt_target"].format(value=_target_text(target)))
        names_below = list(rows.loc[below, "name"].iloc[::-1])
        details.append(words["alt_below"].format(units=", ".join(names_below)) if names_below
                       else words["alt_all_met"])
    values_text = "; ".join(f"{n}: {format_number(v, decimals) if pd.notna(v) else s} %"
                            for n, v, s in zip(rows["name"].iloc[::-1], rows["value"].iloc[::-1],
                                               rows["status"].iloc[::-1], strict=True))
    details.append(values_text + ".")
    alt = words["commune_alt"].format(label=ind["label"], year=year, units_noun=units_noun,
                                      details=" ".join(details))
    return figure, alt


def reform_day(day: dt.date) -> str:
    """A reform's day as the annex writes it: "01/7/2025"."""
    return f"{day.day:02d}/{day.month}/{day.year}"


def years_text(years: Sequence[int]) -> str:
    """Years as the annex writes them: runs of consecutive years as "2021-2024", others by commas."""
    runs: list[list[int]] = []
    for year in sorted(years):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def reform_rules(years: Sequence[int], breaks: Sequence[dt.date]) -> list[tuple[float, dt.date]]:
    """Where a trend chart over ``years`` (reporting years, figures of 31/12) draws a rule for each
    reform of ``breaks`` it spans (a year before the reform's year and one from it): between the two
    years around it (x = 2024.5 for 1/7/2025)."""
    return [(day.year - 0.5, day) for day in breaks
            if any(y < day.year for y in years) and any(y >= day.year for y in years)]


def trend_chart(history: pd.DataFrame, catalogue: pd.DataFrame, indicator_id: str, wording: dict, *,
                target_year: int, district: str, figure: Figure | None = None,
                breaks: Sequence[dt.date] = (), not_comparable: Sequence[int] = ()) -> tuple[Figure, str] | None:
    """The district value of one rate indicator per year, its target and the least-squares
    projection to the target year (as the annex's note computes it); ``None`` without values.

    ``breaks`` are the days the units were reorganised (:func:`helpers.compute.series.reform_dates`):
    a chart whose years span one draws a labelled vertical rule there, and says so in its alt text.
    ``not_comparable`` are years the entity has no comparable figures for
    (:func:`helpers.compute.series.not_comparable_years`): the axis shows them, with a note.
    Returns the figure (``figure``, from an earlier call, when given) and its alt text.
    """
    words = wording["charts"]
    ind = catalogue.set_index("id").loc[indicator_id]
    decimals = int(ind["decimals"])
    rows = history[history["indicator_id"] == indicator_id].sort_values("year")
    series = pd.Series(list(rows["value"].astype("float64")), index=[int(y) for y in rows["year"]]).dropna()
    if series.empty:
        return None
    targets = rows["target"].dropna()
    target = float(targets.iloc[-1]) if len(targets) else None
    gap = sorted({int(y) for y in not_comparable} - set(series.index))
    rules = reform_rules([*series.index, *gap], breaks)
    first_year = min([int(series.index.min()), *gap])

    with matplotlib.rc_context(FONT):
        title = _title(words["trend_title"].format(label=ind["label"]))
        figure, axes = _prepare_axes(figure, title, plot_in=TREND_PLOT_IN, left_in=TREND_LEFT_IN)
        axes.plot(series.index, series.values, marker="o", color=COLOUR_MET, linewidth=1.8,
                  label=words["district"].format(district=district))
        for x, y in series.items():
            axes.annotate(format_number(y, decimals), (x, y), xytext=(0, 6), textcoords="offset points",
                          ha="center", fontsize=8)
        projected = project_to_target_year(series, target_year) if projects(series.index.max(), target_year) else None
        if projected is not None:
            line_years = list(range(int(series.index.min()), target_year + 1))
            line = [project_to_target_year(series, y) for y in line_years]
            axes.plot(line_years, line, linestyle=":", color="#555555", linewidth=1.4,
                      label=words["projection"].format(target_year=target_year,
                                                       value=format_number(projected, decimals)))
            axes.plot([target_year], [projected], marker="D", color="#555555", markersize=5)
        if target is not None:
            axes.axhline(target, color="#a00000", linestyle="--", linewidth=1.2,
                         label=words["target"].format(target_year=target_year,
                                                      value=_target_text(target)))
        for x, day in rules:
            axes.axvline(x, color=COLOUR_REFORM, linestyle="-.", linewidth=1.2,
                         label=words["reform"].format(date=reform_day(day)))
        if gap:
            note = "\n".join(textwrap.wrap(words["not_comparable"].format(years=years_text(gap)), NOTE_WIDTH))
            axes.text((gap[0] + gap[-1]) / 2, 0.5, note, transform=blended_transform_factory(axes.transData,
                      axes.transAxes), ha="center", va="center", fontsize=8, color="#555555")
        values = [*series.values, target or 0.0, projected or 0.0]
        low, high = min(values), max(values)
        span = max(high - low, MIN_SPAN)
        axes.set_ylim(max(0.0, low - 0.25 * span), min(105.0, high + 0.3 * span) if high <= 100 else high * 1.1)
        axes.set_xlim(first_year - 0.4, max(target_year, series.index.max()) + 0.4)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: str(int(value))))
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.yaxis.set_major_formatter(_decimal_comma())
        axes.set_xlabel(words["year_axis"])
        axes.set_ylabel(words["value_axis"])
        axes.xaxis.set_label_coords(0.5, -XLABEL_GAP_IN / TREND_PLOT_IN)
        axes.yaxis.set_label_coords(-YLABEL_GAP_IN / (WIDTH_IN - TREND_LEFT_IN - RIGHT_IN), 0.5)
        axes.legend(loc="upper left", bbox_to_anchor=(-0.6 / WIDTH_IN, -0.5 / TREND_PLOT_IN), ncol=2, fontsize=8,
                    frameon=False)
        axes.spines[["top", "right"]].set_visible(False)
        axes.grid(axis="y", color="#dddddd", linewidth=0.6)

    details = "; ".join(f"{x}: {format_number(y, decimals)} %" for x, y in series.items()) + "."
    if projected is not None:
        details += " " + words["projection"].format(target_year=target_year,
                                                    value=format_number(projected, decimals)) + "."
    if target is not None:
        details += " " + words["alt_target"].format(value=_target_text(target))
    if gap:
        details += " " + words["not_comparable"].format(years=years_text(gap)) + "."
    for _x, day in rules:
        details += " " + words["reform_alt"].format(before=day.year - 1, after=day.year,
                                                    reform=words["reform"].format(date=reform_day(day)))
    alt = words["trend_alt"].format(label=ind["label"], district=district, details=details)
    return figure, alt


def rate_charts(indicators: pd.DataFrame, history: pd.DataFrame, ctx: ReportingYear) -> tuple[list[Chart], list[str]]:
    """Both charts of every rate indicator (catalogue order), as SVG, and a sentence for each
    indicator with nothing to draw (e.g. "Không áp dụng"). One figure per kind of chart is drawn
    again for each indicator (see the module's docstring)."""
    catalogue, communes, wording, year = ctx.ref.catalogue, ctx.communes, ctx.ref.wording, ctx.year
    target_year, district, district_code = ctx.target_year, ctx.entity.name, ctx.entity.code
    units_noun = ctx.entity.units_noun
    charts: list[Chart] = []
    notes: list[str] = []
    figures: dict[str, Figure | None] = {"communes": None, "trend": None}
    history = history[(history["unit_code"] == district_code) & (history["year"] <= year)]
    breaks, gap = reform_dates(ctx.ref.units), not_comparable_years(ctx.ref, ctx.years)
    for ind in catalogue[catalogue["kind"] == "rate"].itertuples(index=False):
        made = commune_chart(indicators, catalogue, communes, ind.id, wording, year=year, target_year=target_year,
                             units_noun=units_noun, figure=figures["communes"])
        if made is None:
            district_row = indicators[(indicators["indicator_id"] == ind.id)
                                      & (indicators["unit_code"] == district_code)
                                      & (indicators["year"] == year)]
            status = district_row["status"].iloc[0] if len(district_row) else ""
            notes.append(wording["charts"]["no_data"].format(label=ind.label,
                                                             status=status).replace(" ()", ""))
            continue
        figures["communes"] = made[0]
        charts.append(Chart(ind.id, "communes", made[1], figure_svg(made[0])))
        trend = trend_chart(history, catalogue, ind.id, wording, target_year=target_year, district=district,
                            figure=figures["trend"], breaks=breaks, not_comparable=gap)
        if trend is not None:
            figures["trend"] = trend[0]
            charts.append(Chart(ind.id, "trend", trend[1], figure_svg(trend[0])))
    return charts, notes
