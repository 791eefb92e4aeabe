"""Stable golden ids: map the clusters of a run onto the golden records that existed before.

Plain Python and pandas, no database, so the rules can be tested on their own:
- a cluster keeps the id of the golden record whose records it holds most of (greedily, the
  largest overlaps first; ties go to the older, lower id), so re-running changes no id when
  clusters mostly survive;
- a golden record that keeps no cluster is retired and redirects to the golden record that
  now holds most of its records (a merge);
- a cluster that keeps no id gets a new one; if it holds records of an existing golden record,
  that record was split.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class IdPlan:
    """What applying a clustering does to golden ids."""

    keeps: dict[int, int] = field(default_factory=dict)  # cluster label -> existing customer id
    new_clusters: list[int] = field(default_factory=list)  # cluster labels needing a new id
    merges: dict[int, int] = field(default_factory=dict)  # retired customer id -> cluster label it went to
    splits: dict[int, list[int]] = field(default_factory=dict)  # customer id -> new cluster labels cut from it


def plan_golden_ids(clusters: pd.Series, previous: pd.Series) -> IdPlan:
    """Plan ids for `clusters` (record id -> label) given `previous` (record id -> customer id or NaN)."""
    frame = pd.DataFrame({"cluster": clusters, "customer": previous.reindex(clusters.index)})
    linked = frame.dropna(subset=["customer"]).astype({"customer": "int64"})
    overlaps = linked.groupby(["cluster", "customer"]).size().rename("n").reset_index()
    overlaps = overlaps.sort_values(["n", "customer", "cluster"], ascending=[False, True, True], kind="stable")
    plan = IdPlan()
    taken: set[int] = set()
    for label, customer in zip(overlaps["cluster"].tolist(), overlaps["customer"].tolist(), strict=True):
        if label in plan.keeps or customer in taken:
            continue
        plan.keeps[label] = customer
        taken.add(customer)
    plan.new_clusters = sorted(set(frame["cluster"].tolist()) - set(plan.keeps))
    # Where each customer's records went, largest share first (the order of `overlaps`).
    first_home = overlaps.drop_duplicates("customer")
    for label, customer in zip(first_home["cluster"].tolist(), first_home["customer"].tolist(), strict=True):
        if customer not in taken:
            plan.merges[customer] = label
    new = set(plan.new_clusters)
    for label, customer in zip(overlaps["cluster"].tolist(), overlaps["customer"].tolist(), strict=True):
        if label in new and customer in taken:
            plan.splits.setdefault(customer, []).append(label)
    return plan
