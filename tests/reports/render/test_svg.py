"""The report's charts as SVG: a title and description, the status palette of
metrics.status, and a PNG preview of the same bars."""

from metrics.status import STATUS_DISPLAY, Status, display
from reports.render import svg


def test_a_status_chart_draws_each_status_in_its_colour_with_its_word():
    chart = svg.status_chart({Status.ON_TRACK: 2, Status.OFF_TRACK: 1}, chart_id="c",
                             title="Metrics by status")
    drawn = chart.svg
    for status, count in ((Status.ON_TRACK, 2), (Status.OFF_TRACK, 1)):
        assert f'fill="{display(status).colour}"' in drawn
        assert f"{display(status).word}: {count}</text>" in drawn
    assert chart.description == "3 metrics by status: on track 2, off track 1."
    assert chart.table_rows == [("On track", "2"), ("Off track", "1")]
    assert '<title id="c-title">Metrics by status</title>' in drawn


def test_the_charts_ink_is_never_a_status_colour():
    palette = {d.colour.lower() for d in STATUS_DISPLAY.values()}
    assert not {svg.INK, svg.MUTED, svg.CURRENT, svg.PRIOR} & palette


def test_a_bar_chart_has_its_text_alternative_and_a_png_preview():
    chart = svg.bar_chart(
        [svg.Group("Students", [svg.Bar("2022-23", 10, "10", svg.PRIOR),
                                svg.Bar("2023-24", 20, "20")])],
        chart_id="b", title="Students", description="10 in 2022-23, 20 in 2023-24.",
    )
    assert 'aria-labelledby="b-title b-desc"' in chart.svg
    assert "Students. 10 in 2022-23" in chart.svg_described
    assert chart.png.startswith(b"\x89PNG")
