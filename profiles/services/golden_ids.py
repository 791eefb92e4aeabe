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

from collections import Counter
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
    """Plan ids for `clusters` (record id -> label) given `previous` (record id -> customer id or NaN).

    Plain Python over the records: a real-time resolution plans a handful of records, where
    pandas' fixed costs would dominate, and a full run plans each record once.
    """
    labels = clusters.tolist()
    customers = previous.reindex(clusters.index).tolist()
    overlap: Counter[tuple[int, int]] = Counter(
        (label, int(customer)) for label, customer in zip(labels, customers, strict=True) if customer == customer
    )
    # Largest overlaps first; ties to the older (lower) customer id, then the lower label.
    ordered = sorted(overlap.items(), key=lambda item: (-item[1], item[0][1], item[0][0]))
    plan = IdPlan()
    taken: set[int] = set()
    for (label, customer), _ in ordered:
        if label in plan.keeps or customer in taken:
            continue
        plan.keeps[label] = customer
        taken.add(customer)
    plan.new_clusters = sorted(set(labels) - set(plan.keeps))
    homed: set[int] = set()
    for (label, customer), _ in ordered:  # where each customer's records went, largest share first
        if customer not in homed:
            homed.add(customer)
            if customer not in taken:
                plan.merges[customer] = label
    new = set(plan.new_clusters)
    for (label, customer), _ in ordered:
        if label in new and customer in taken:
            plan.splits.setdefault(customer, []).append(label)
    return plan
