"""The dashboard aggregates (MetricSnapshot, Rollup): how they are rebuilt and queued.

- `rebuild.py`: the set-based rebuild, incremental (`rebuild(metric_ids)` for whole
  metrics, `rebuild(slices=[(metric, district, group)])` for the slices whose readings
  changed) or full (`rebuild()`), one code path; it queues nothing.
- `county.py`: the all-districts percents no one reported, computed from the
  districts' summed counts (counts and amounts are never summed), with
  the number of districts (`MetricSnapshot.computed_from_districts`).
- `slices.py`: the statuses of the district and student-group slices
  (`slice_status.judge_slice`), judged again only when they moved.
- `continued.py`: a continued metric's trend (`Metric.continues`): its series also
  holds the earlier plan's approved county-wide points, marked with that plan's years;
  a rebuild of a metric's county-wide row rebuilds the trends that continue it.
- `queue.py`: `request_rebuild(*metric_ids, slices=...)`, called inside a write's
  transaction, marks the metrics (and slices: `PendingSlice`) pending and queues one
  task on commit (by name); a broker that is down never fails the write. A reading's
  write asks for its slice; a target or placement change for the whole metric.
  `request_full_rebuild()`; `rebuild_pending()`, what the queued task and the beat
  (every minute) run, and `rebuild_all()`, the nightly one: both then decide the
  publication of the rebuilt metrics' figures in the same transaction
  (metrics.privacy.decide: of a metric asked for by slices, the tables of the periods
  saved only); `coalesced()`, around code that commits many transactions (the
  grid, a batch of approvals): one rebuild at its end, eager or not.

Every write path reaches the aggregates, each through one hook (a test per path in
tests/metrics/test_aggregates_write_paths.py):

=========================  ======================================  =====================
write path                 code                                    hook
=========================  ======================================  =====================
entry form                 views.entry.reading_enter               services.readings
bulk grid                  views.entry.bulk_entry                  services.readings
spreadsheet import         imports.rows.import_rows (metrics.bulk) request_rebuild there
approve (page, admin)      services.readings.reading_approve       services.readings
return                     services.readings.reading_return        services.readings
restore                    services.readings.reading_restore       services.readings
targets and thresholds     services.targets.metric_set_target      services.targets
close, reopen, next plan   services.plans                          services.plans
admin reading              admin.ReadingAdmin -> reading_record    services.readings
admin metric (add, edit)   admin.MetricAdmin.save_model            request_rebuild there
load_plan (metrics)        loading.load_figures                    request_rebuild there
load_plan (readings)       loading.load_figures -> reading_record  services.readings
delete a reading           any (admin, shell)                      signals (post_delete)
delete a metric            any (admin, shell)                      signals: full rebuild
suppression threshold      plan admin, load_plan, shell            signals (post_save)
synthetic plans            synthetic.generate (metrics.bulk)       rebuild() at the end
=========================  ======================================  =====================

Signals remain only where no service runs: deletes, and a plan's suppression threshold.
A new metric also gets its county-wide dashboard row at once from a signal, whichever
code saved it. Code that
saves a Reading or Metric by hand (a shell, a migration) calls `request_rebuild`; the
nightly full rebuild corrects anything missed.
"""

from .queue import (
    QUEUED_KEY,
    coalesced,
    rebuild_all,
    rebuild_pending,
    request_full_rebuild,
    request_rebuild,
)
from .rebuild import rebuild

__all__ = [
    "QUEUED_KEY", "coalesced", "rebuild", "rebuild_all", "rebuild_pending",
    "request_full_rebuild",
    "request_rebuild",
]
