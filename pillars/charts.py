"""Plotly figures for the dashboards, built in Python from aggregate rows.

Figures are plain dicts, never plotly's graph objects: that layer validates every property and
costs tens of milliseconds a chart, on every page. No inline script draws them (the
Content-Security-Policy allows none): a template includes templates/pillars/_plotly.html with
the `Chart`, which puts the figure in the page through `json_script`, and static/js/charts.js
draws it with plotly.js from our static files (templates/pillars/_plotly_js.html).
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from metrics.status import STATUS_ORDER, WITHHELD, Status, display
from metrics.units import spec

FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif", "size": 13,
        "color": "#1b1f24"}
CONFIG = {"displaylogo": False, "responsive": True,
          "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


# Below the plot, under the x-axis title: the legend's top this many pixels under the axis.
LEGEND_GAP = 64


def _legend_below(layout, height):
    """A horizontal legend below the plot, clear of the x-axis title: its top sits
    LEGEND_GAP px under the axis (in the margin, which Plotly widens to fit it)."""
    margin = layout["margin"]
    plot = max(height - margin["t"] - margin["b"], 1)
    layout["legend"] = {"orientation": "h", "x": 0, "xanchor": "left", "yanchor": "top",
                        "y": -LEGEND_GAP / plot}


@dataclass(frozen=True)
class Chart:
    """A figure for templates/pillars/_plotly.html: a container with this id, and the figure
    (data, layout, config) beside it through `json_script`, drawn by static/js/charts.js."""

    id: str
    figure: dict

    @property
    def figure_id(self):
        return f"{self.id}-figure"


def _render(figure, div_id, height):
    if figure["layout"].get("showlegend", True) and len(figure["data"]) > 0:
        _legend_below(figure["layout"], height)
    figure["layout"].update(font=FONT, height=height, paper_bgcolor="#ffffff",
                            plot_bgcolor="#ffffff")
    return Chart(id=div_id, figure={**figure, "config": CONFIG})


def status_distribution(counts, div_id, *, height=120):
    """A horizontal stacked bar of how many metrics are in each status."""
    # (A public page's statuses withheld with their figures are counted too: WITHHELD.)
    traces = [
        {
            "type": "bar", "orientation": "h", "name": display(status).word,
            "x": [counts.get(status, 0)], "y": [""],
            "marker": {"color": display(status).colour},
            "hovertemplate": f"{display(status).word}: %{{x}}<extra></extra>",
        }
        for status in (*STATUS_ORDER, WITHHELD)
        if counts.get(status, 0)
    ]
    figure = {
        "data": traces,
        "layout": {
            "barmode": "stack", "showlegend": True,
            "margin": {"l": 10, "r": 10, "t": 10, "b": 90},
            "xaxis": {"title": {"text": _("Metrics")}, "dtick": _tick(sum(counts.values()))},
            "yaxis": {"visible": False},
        },
    }
    return _render(figure, div_id, height + 80)


def progress(rows, div_id):
    """Progress toward target of each judged metric, against the progress expected by now."""
    rows = [r for r in rows if r.progress is not None]
    labels = [r.metric.name for r in rows]
    figure = {
        "data": [
            {
                "type": "bar", "orientation": "h", "name": _("Progress made"),
                "y": labels, "x": [round(r.progress * 100, 1) for r in rows],
                "marker": {"color": [display(r.status).colour for r in rows]},
                "hovertemplate": _("%(metric)s: %(progress)s%% of the way to target") % {
                    "metric": "%{y}", "progress": "%{x}"} + "<extra></extra>",
            },
            {
                "type": "scatter", "mode": "markers", "name": _("Expected by now"),
                "y": labels, "x": [round((r.expected or 0) * 100, 1) for r in rows],
                "marker": {"symbol": "line-ns-open", "size": 18, "color": "#1b1f24",
                           "line": {"width": 3}},
                "hovertemplate": _("%(metric)s: %(progress)s%% expected by now") % {
                    "metric": "%{y}", "progress": "%{x}"} + "<extra></extra>",
            },
        ],
        "layout": {
            "margin": {"l": 10, "r": 10, "t": 10, "b": 100},
            "xaxis": {"title": {"text": _("%(percent)s of the way from baseline to target")
                                % {"percent": "%"}},
                      "ticksuffix": "%", "rangemode": "tozero"},
            "yaxis": {"automargin": True, "autorange": "reversed"},
        },
    }
    return _render(figure, div_id, max(260, 100 + 32 * len(rows)))


# The points of the earlier plan's metric a continued metric's trend shows: a trace of
# their own, hollow markers and a dotted line in a grey-blue none of the statuses use.
EARLIER_COLOUR = "#51708f"
# Points computed from districts (no county-wide figure reported for the period): hollow
# diamonds over their trace's line, one legend entry.
COMPUTED_COLOUR = "#6b4f9e"


def _plan_of(point):
    """The earlier plan's years a series point is marked with, None for this plan's
    (metrics.models.aggregates.TrendPoint: [period, value, plan, districts])."""
    return point[2] if len(point) > 2 else None


def trend(metric, series, div_id):
    """The metric's county-wide readings over time, with its target and baseline; the
    points of the earlier plan's metric it continues (marked in MetricSnapshot.series)
    in a trace of their own, named after that plan ("2022-25 plan"), and the points
    computed from districts marked in one more ("computed from districts")."""
    unit = spec(metric.unit)
    periods = [period for period, *_ in series]
    own = [point for point in series if not _plan_of(point)]
    computed = [point for point in series if len(point) > 3 and point[3]]
    one = len(series) == 1
    data = []
    for years in sorted({_plan_of(point) for point in series if _plan_of(point)}):
        points = [point for point in series if _plan_of(point) == years]
        data.append({
            "type": "scatter", "mode": "lines+markers",
            "name": _("%(years)s plan") % {"years": years},
            "x": [p[0] for p in points], "y": [float(p[1]) for p in points],
            "line": {"color": EARLIER_COLOUR, "width": 2, "dash": "dot"},
            "marker": {"symbol": "circle-open", "size": 10, "color": EARLIER_COLOUR},
            "hovertemplate": _("%(period)s (%(years)s plan): %(value)s") % {
                "period": "%{x}", "years": years, "value": unit.hover()} + "<extra></extra>",
        })
    if own:
        data.append({
            "type": "scatter", "mode": "lines+markers", "name": metric.name,
            "x": [p[0] for p in own], "y": [float(p[1]) for p in own],
            "line": {"color": "#00467f", "width": 3},
            "hovertemplate": f"%{{x}}: {unit.hover()}<extra></extra>",
        })
    if one:
        # A single point is no trend: label its value and say so.
        data[0].update(mode="markers+text", marker={"size": 12, "color": "#00467f"},
                       text=[metric.format(series[0][1])], textposition="top center",
                       name=_("%(metric)s: one reading so far") % {"metric": metric.name})
    if computed:
        data.append({
            "type": "scatter", "mode": "markers", "name": _("computed from districts"),
            "x": [p[0] for p in computed], "y": [float(p[1]) for p in computed],
            "marker": {"symbol": "diamond-open", "size": 14, "color": COMPUTED_COLOUR,
                       "line": {"width": 2}},
            "hovertemplate": _("%(period)s: %(value)s, computed from districts") % {
                "period": "%{x}", "value": unit.hover()} + "<extra></extra>",
        })
    for label, value, dash, colour in (
        # The target line in the colour of the metrics that reach it, the baseline in grey.
        (_("Target %(value)s"), metric.target_value, "dash", display(Status.ON_TRACK).colour),
        (_("Baseline %(value)s"), metric.baseline_value, "dot",
         display(Status.NO_TARGET).colour),
    ):
        if value is not None and periods:
            data.append({
                "type": "scatter", "mode": "lines",
                "name": label % {"value": metric.format(value)},
                "x": [periods[0], periods[-1]], "y": [float(value)] * 2,
                "line": {"dash": dash, "color": colour, "width": 2},
                "hoverinfo": "skip",
            })
    figure = {
        "data": data,
        "layout": {
            "margin": {"l": 10, "r": 10, "t": 30, "b": 110},
            # The periods in time order, whichever trace has them.
            "xaxis": {"type": "category", "title": {"text": _("Period")}, "automargin": True,
                      "categoryorder": "array", "categoryarray": periods},
            "yaxis": unit.axis(scale_min=metric.scale_min, scale_max=metric.scale_max),
            "annotations": [{"text": _("One reading so far"), "xref": "paper", "yref": "paper",
                             "x": 0, "y": 1.02, "xanchor": "left", "yanchor": "bottom",
                             "showarrow": False}] if one else [],
        },
    }
    return _render(figure, div_id, 420)


def _tick(total):
    return 1 if total <= 10 else None
