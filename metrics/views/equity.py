"""The metric page's equity views: "By student group" and "By district" (issue 16).

`equity_context` is what metric pages (staff, and a public one) add to their context:
the view chosen with `?view=` (and for "By student group" the district chosen with
`?district=`, the county without it) and its figures, all from metrics.equity's
selectors (snapshots only). `public_view` decides how a figure the publication rule did not
publish is written (metrics.equity.shown).
"""

from django.utils.translation import gettext_lazy as _
from django_tables2 import RequestConfig

from .. import equity
from ..forms import EquityDistrictForm
from ..tables import DistrictTable

VIEWS = {"groups": _("By student group"), "districts": _("By district")}


def equity_context(request, metric, *, public_view):
    chosen = request.GET.get("view")
    chosen = chosen if chosen in VIEWS else "groups"
    context = {"public_view": public_view, "equity_view": chosen, "equity_views": VIEWS}
    if chosen == "groups":
        form = EquityDistrictForm(request.GET if "district" in request.GET else None,
                                  plan=metric.plan)
        context.update(district_form=form, by_group=equity.by_group(
            metric, public_view=public_view, district=form.chosen()))
        return context
    table = DistrictTable(equity.district_rows(metric, public_view=public_view),
                          metric=metric, public_view=public_view)
    RequestConfig(request, paginate={"per_page": DistrictTable._meta.per_page}).configure(table)
    # The heat map shows the districts of the table's page, in its order, under the
    # county's row: one page of the matrix at a time, whatever the number of districts.
    county = equity.county_row(metric)
    districts = ([county.district] if county else []) + [
        row.record.district for row in table.paginated_rows]
    context.update(by_district=table, heat_map=equity.heat_map(
        metric, districts, public_view=public_view),
        county=equity.latest(county, public_view=public_view) if county else equity.NO_FIGURE)
    return context
