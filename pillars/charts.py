"""Plotly figures for the dashboards, built in Python from aggregate rows.

Figures are plain dicts rendered with `validate=False`: the graph-object layer
validates every property and costs tens of milliseconds a chart, on every page.
plotly.js itself comes from our static files (see templates/pillars/_plotly.html).
"""

import plotly.io as pio
from django.utils.safestring import mark_safe

from metrics.status import STATUS_ORDER, Status, display
from metrics.units import spec

FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif", "size": 13,
        "color": "#1b1f24"}
CONFIG = {"displaylogo": False, "responsive": True,
          "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def _render(figure, div_id, height):
    figure["layout"].update(font=FONT, height=height, paper_bgcolor="#ffffff",
                            plot_bgcolor="#ffffff")
    html = pio.to_html(
        figure, include_plotlyjs=False, full_html=False, config=CONFIG, div_id=div_id,
        validate=False, default_width="100%", default_height=f"{height}px",
    )
    return mark_safe(html)  # noqa: S308 - plotly's own markup; all text in it is JSON-escaped


def status_distribution(counts, div_id, *, height=120):
    """A horizontal stacked bar of how many metrics are in each status."""
    traces = [
        {
            "type": "bar", "orientation": "h", "name": status.label,
            "x": [counts.get(status, 0)], "y": [""],
            "marker": {"color": display(status).colour},
            "hovertemplate": f"{status.label}: %{{x}}<extra></extra>",
        }
        for status in STATUS_ORDER
        if counts.get(status, 0)
    ]
    figure = {
        "data": traces,
        "layout": {
            "barmode": "stack", "showlegend": True,
            "legend": {"orientation": "h", "y": -0.35},
            "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
            "xaxis": {"title": {"text": "Metrics"}, "dtick": _tick(sum(counts.values()))},
            "yaxis": {"visible": False},
        },
    }
    return _render(figure, div_id, height)


def progress(rows, div_id):
    """Progress toward target of each judged metric, against the progress expected by now."""
    rows = [r for r in rows if r.progress is not None]
    labels = [r.metric.name for r in rows]
    figure = {
        "data": [
            {
                "type": "bar", "orientation": "h", "name": "Progress made",
                "y": labels, "x": [round(r.progress * 100, 1) for r in rows],
                "marker": {"color": [display(r.status).colour for r in rows]},
                "hovertemplate": "%{y}: %{x}% of the way to target<extra></extra>",
            },
            {
                "type": "scatter", "mode": "markers", "name": "Expected by now",
                "y": labels, "x": [round((r.expected or 0) * 100, 1) for r in rows],
                "marker": {"symbol": "line-ns-open", "size": 18, "color": "#1b1f24",
                           "line": {"width": 3}},
                "hovertemplate": "%{y}: %{x}% expected by now<extra></extra>",
            },
        ],
        "layout": {
            "margin": {"l": 10, "r": 10, "t": 10, "b": 40},
            "xaxis": {"title": {"text": "% of the way from baseline to target"},
                      "ticksuffix": "%", "rangemode": "tozero"},
            "yaxis": {"automargin": True, "autorange": "reversed"},
            "legend": {"orientation": "h", "y": -0.2},
        },
    }
    return _render(figure, div_id, max(200, 40 + 32 * len(rows)))


def trend(metric, series, div_id):
    """The metric's county-wide readings over time, with its target and baseline."""
    unit = spec(metric.unit)
    periods = [period for period, _ in series]
    values = [float(value) for _, value in series]
    data = [
        {
            "type": "scatter", "mode": "lines+markers", "name": metric.name,
            "x": periods, "y": values, "line": {"color": "#00467f", "width": 3},
            "hovertemplate": f"%{{x}}: {unit.hover()}<extra></extra>",
        }
    ]
    for label, value, dash, colour in (
        # The target line in the colour of the metrics that reach it, the baseline in grey.
        ("Target", metric.target_value, "dash", display(Status.ON_TRACK).colour),
        ("Baseline", metric.baseline_value, "dot", display(Status.NO_TARGET).colour),
    ):
        if value is not None and periods:
            data.append({
                "type": "scatter", "mode": "lines", "name": f"{label} {metric.format(value)}",
                "x": [periods[0], periods[-1]], "y": [float(value)] * 2,
                "line": {"dash": dash, "color": colour, "width": 2},
                "hoverinfo": "skip",
            })
    figure = {
        "data": data,
        "layout": {
            "margin": {"l": 10, "r": 10, "t": 10, "b": 40},
            "xaxis": {"type": "category", "title": {"text": "Period"}, "automargin": True},
            "yaxis": unit.axis(scale_min=metric.scale_min, scale_max=metric.scale_max),
            "legend": {"orientation": "h", "y": -0.3},
        },
    }
    return _render(figure, div_id, 360)


def _tick(total):
    return 1 if total <= 10 else None
