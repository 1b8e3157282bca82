"""Outreach coverage (FACTS.md «Outreach coverage»): households, the reach signals that make a
household reached in a report period, and the figures against the target.

- `periods` — the report periods (year, halves, custom dates) from the cut-off settings;
- `figures` — what coverage of an area is (the tree the views, the report and the snapshots
  share);
- `compute` — coverage of any area for any period, counted in SQL from `period_reach`, which
  `reach` keeps up to date as acknowledgements, registrations and activities arrive.
"""
