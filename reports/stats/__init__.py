"""The statistics engine: completion figures per unit subtree, course and audience group.

Three layers, all recomputed from source rows, never incremented:
1. shards (LeafShard): enrolment counts per leaf course cell and learner id modulo
   STATS_SHARDS, counted from the enrolments' covering index with SQL GROUP BY (`leaves.py`);
2. leaf cells (LeafStat): learners whose own unit is exactly that unit, per course and group,
   adding up the shards, with registered learners and targets; an all-courses cell adds up the
   course cells (`leaves.py`);
3. rolled-up cells (UnitStat): a unit and everything below it, summed in SQL from the leaf cells
   of its subtree (`rollup.py`). Leaf cells are bounded by units x courses x groups, not by
   learners, so the roll-up is cheap whatever the number of enrolments.

The trend (DailyStat, completions per unit subtree and day) is counted per unit and day from the
enrolments' day index and summed up the tree in the same statement (`trend.py`).

Course cells count enrolments; the all-courses cell adds up its course cells (so the course
breakdown always sums to the total), and "registered learners" counts people.

The incremental run recounts only the shards named by `courses.StaleCell` rows (written in the
same transaction as each change) and by learners who moved (`sources.py`): changes fall mostly
on the busiest cells, and a shard holds a sixteenth of a cell. Then it rebuilds the leaf cells
of the units whose shards changed, the units above them, and the trend of the days named. A
published, unpublished or (re)assigned course is recounted everywhere. Every write is a diff
against the stored rows (`sql.py`), so a run touches only what changed and any run can be
repeated. The full rebuild recomputes every shard and cell. Both end in the same table
(`engine.py`).

One run at a time, under the lock of `runs.py`; a check that changes nothing stores no run.
"""

from .engine import stats_full_rebuild, stats_incremental
from .runs import EngineBusy

__all__ = ["EngineBusy", "stats_full_rebuild", "stats_incremental"]
