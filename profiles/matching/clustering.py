"""Turn scored pairs into clusters (one cluster = one golden record).

Connected components over "link" pairs chain households together: mother-son via the family e-mail,
son-father via the landline, and one golden record swallows the family.  ``cluster`` instead joins pairs
greedily from the most to the least probable and refuses a join when the two clusters hold records that
conflict (a cannot-link, clearly different given names, clearly different dates of birth, different
national ids) or when the result would exceed ``max_cluster_size``.  Deterministic: ties are broken by ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from profiles.matching.comparison import LOOP_PAIRS, _national_id
from profiles.matching.names import GIVEN_CLOSE, GIVEN_DIFFERENT, given_level
from profiles.matching.prepare import Prepared, as_prepared
from profiles.matching.settings import MatchSettings

Dob = tuple[int, int, int]


@lru_cache(maxsize=1 << 18)
def dob_conflict(a: Dob, b: Dob) -> bool:
    """Two full dates of birth in different years that differ in more than one part (not a typo/swap)."""
    if a == b or a[0] == b[0]:
        return False
    same = (a[0] == b[0]) + (a[1] == b[1]) + (a[2] == b[2])
    swap = a[0] == b[0] and a[1] == b[2] and a[2] == b[1]
    return not (same == 2 or swap)


def given_conflict(a: str, b: str) -> bool:
    return given_level(a, b) == GIVEN_DIFFERENT


Signature = tuple[str, Dob | None, str]


@lru_cache(maxsize=1 << 20)
def signatures_conflict(a: Signature, b: Signature, national_ids: bool = False) -> bool:
    """The household/twin rule between two records' (given name, DOB, national id) signatures.

    Clearly different given names or clearly different full DOBs conflict, unless the national ids are
    identical.  With ``national_ids``, two clearly different national ids conflict too.
    """
    if a == b:
        return False
    nid = _national_id(a[2], b[2]) if a[2] and b[2] else 0
    if nid >= 2:
        return False
    if a[0] and b[0] and given_conflict(a[0], b[0]):
        return True
    if a[1] and b[1] and dob_conflict(a[1], b[1]):
        return True
    return national_ids and nid == 1


def _conflict_as_read(x: Signature, y: Signature, others: set[Signature], national_ids: bool) -> bool:
    """Whether x conflicts with y however its given name is read: as written, or as a name of the
    other cluster that it is a typo of ("Jhsstin" beside "Jhstin" and "Justin") and otherwise agrees
    with. The other cluster's names agree among themselves, so a slip of one of them is no evidence
    of a different person, though it may be clearly different from another (a nickname, a typo)."""
    for other in others:
        if (
            other[0]
            and x[0]
            and other[0] != x[0]
            and given_level(x[0], other[0]) == GIVEN_CLOSE
            and not signatures_conflict(x, other, national_ids)
            and not signatures_conflict((other[0], x[1], x[2]), y, national_ids)
        ):
            return False
    return True


class _Profile:
    """The distinct record signatures a cluster holds."""

    __slots__ = ("signatures",)

    def __init__(self, signatures: set[Signature] | None = None) -> None:
        self.signatures = signatures or set()

    def absorb(self, other: _Profile) -> None:
        """Add the other (smaller) cluster's signatures, except ones that contradict this cluster.

        A contradiction can only get in through an identical national id; the contradicting given name or
        DOB is then a data-entry error, and must not veto later joins of correctly typed records.
        """
        mine = list(self.signatures)
        for sig in other.signatures:
            bare = (sig[0], sig[1], "")
            if not any(signatures_conflict(bare, (x[0], x[1], "")) for x in mine):
                self.signatures.add(sig)
            elif sig[2]:
                self.signatures.add(("", None, sig[2]))


class ConflictChecker:
    """Record attributes used to decide whether two clusters may be joined.

    Built from a prepared frame.  Given names recovered from an e-mail local part are not used here: the
    mailbox may belong to someone else in the household, so such a name is too weak to veto a join.
    """

    def __init__(self, prepared: pd.DataFrame | Prepared, *, national_ids: bool = False) -> None:
        self.national_ids = national_ids
        prepared = as_prepared(prepared)
        from_email = np.asarray(prepared["name_from_email"]).astype(bool).tolist()
        gk = [None if rec else g for g, rec in zip(prepared["gk"].tolist(), from_email, strict=True)]
        y, m, d = (np.asarray(prepared[c], dtype=np.int64).tolist() for c in ("dob_y", "dob_m", "dob_d"))
        nid = prepared["national_id_key"].tolist()
        self.signature: dict[int, Signature] = {}
        for i, rid in enumerate(prepared.index.tolist()):
            g = gk[i] if isinstance(gk[i], str) and len(gk[i]) > 1 else ""
            dob = (y[i], m[i], d[i]) if y[i] > 0 and m[i] > 0 and d[i] > 0 else None
            self.signature[int(rid)] = (g, dob, nid[i] if isinstance(nid[i], str) else "")

    def profile(self, record: int) -> _Profile:
        sig = self.signature.get(record)
        return _Profile({sig} if sig and (sig[0] or sig[1] or sig[2]) else set())

    def conflict(self, a: _Profile, b: _Profile) -> bool:
        nat = self.national_ids
        return any(
            signatures_conflict(x, y, nat)
            and _conflict_as_read(x, y, b.signatures, nat)
            and _conflict_as_read(y, x, a.signatures, nat)
            for x in a.signatures
            for y in b.signatures
        )


@dataclass
class ClusterOutcome:
    labels: pd.Series
    #: pairs that would have been linked but were refused, with the reason ("conflict" / "size")
    refused: dict[tuple[int, int], str]


def cluster_details(
    index: pd.Index,
    pairs: pd.DataFrame,
    *,
    must_link: Iterable[tuple[int, int]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
    conflicts: ConflictChecker | pd.DataFrame | Callable[[int, int], bool] | None = None,
    settings: MatchSettings | None = None,
) -> ClusterOutcome:
    """Greedy constrained clustering; see :func:`cluster`.  Also returns the refused pairs."""
    settings = settings or MatchSettings()
    if len(pairs):
        if "decision" in pairs:
            link = pairs["decision"].to_numpy() == "link"
        else:
            link = pairs["probability"].to_numpy() >= settings.auto_link_threshold
        linked = (
            pairs.index.get_level_values(0).to_numpy(np.int64)[link],
            pairs.index.get_level_values(1).to_numpy(np.int64)[link],
            pairs["probability"].to_numpy(float)[link],
        )
    else:
        linked = None
    return _cluster(index, linked, must_link=must_link, cannot_link=cannot_link, conflicts=conflicts, settings=settings)


def _cluster(
    index: pd.Index,
    linked: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    *,
    must_link: Iterable[tuple[int, int]],
    cannot_link: Iterable[tuple[int, int]],
    conflicts: ConflictChecker | pd.DataFrame | Callable[[int, int], bool] | None,
    settings: MatchSettings,
) -> ClusterOutcome:
    """:func:`cluster_details` over the linked pairs as arrays (id_a, id_b, probability); None = no pairs."""
    ids = pd.Index(index).astype("int64")
    id_list = ids.tolist()
    pos_of = {int(i): k for k, i in enumerate(id_list)}
    n = len(ids)
    parent = list(range(n))
    size = [1] * n
    members: dict[int, list[int]] = {}
    checker: ConflictChecker | None = None
    record_conflict: Callable[[int, int], bool] | None = None
    if isinstance(conflicts, pd.DataFrame):
        checker = ConflictChecker(conflicts, national_ids=settings.national_id_conflicts)
    elif isinstance(conflicts, ConflictChecker):
        checker = conflicts
    elif conflicts is not None:
        record_conflict = conflicts
    profiles: dict[int, _Profile] = {}
    cannot: dict[int, set[int]] = {}
    for a, b in cannot_link:
        if int(a) in pos_of and int(b) in pos_of:
            pa, pb = pos_of[int(a)], pos_of[int(b)]
            cannot.setdefault(pa, set()).add(pb)
            cannot.setdefault(pb, set()).add(pa)

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def profile_of(root: int) -> _Profile | None:
        if checker is None:
            return None
        if root not in profiles:
            profiles[root] = checker.profile(id_list[root])
        return profiles[root]

    def blocked(ra: int, rb: int) -> bool:
        ma = members.get(ra, [ra])
        mb = members.get(rb, [rb])
        if cannot:
            small, other = (ma, rb) if len(ma) <= len(mb) else (mb, ra)
            for x in small:
                for y in cannot.get(x, ()):
                    if find(y) == other:
                        return True
        if checker is not None:
            return checker.conflict(profile_of(ra), profile_of(rb))
        if record_conflict is not None:
            return any(record_conflict(id_list[x], id_list[y]) for x in ma for y in mb)
        return False

    def union(ra: int, rb: int) -> None:
        if size[ra] < size[rb]:
            ra, rb = rb, ra
        parent[rb] = ra
        size[ra] += size[rb]
        members[ra] = members.get(ra, [ra]) + members.pop(rb, [rb])
        if checker is not None:
            pa, pb = profile_of(ra), profile_of(rb)
            pa.absorb(pb)
            profiles.pop(rb, None)

    for a, b in sorted((min(int(x), int(y)), max(int(x), int(y))) for x, y in must_link):
        if a not in pos_of or b not in pos_of:
            continue
        ra, rb = find(pos_of[a]), find(pos_of[b])
        if ra == rb:
            continue
        if cannot and blocked_by_cannot(ra, rb, members, cannot, find):
            continue
        union(ra, rb)

    refused: dict[tuple[int, int], str] = {}
    if linked is not None:
        la, lb, prob = linked
        order = np.lexsort((lb, la, -prob))
        if not ids.is_unique:
            raise pd.errors.InvalidIndexError("Reindexing only valid with uniquely valued Index objects")
        if len(order) > LOOP_PAIRS:
            ia, ib = ids.get_indexer(la[order]).tolist(), ids.get_indexer(lb[order]).tolist()
        else:  # an index look-up costs more than a few dict look-ups
            ia = [pos_of.get(x, -1) for x in la[order].tolist()]
            ib = [pos_of.get(y, -1) for y in lb[order].tolist()]
        for x, y in zip(ia, ib, strict=True):
            if x < 0 or y < 0:
                continue
            ra, rb = find(x), find(y)
            if ra == rb:
                continue
            if size[ra] + size[rb] > settings.max_cluster_size:
                refused[(id_list[x], id_list[y])] = "size"
                continue
            if blocked(ra, rb):
                refused[(id_list[x], id_list[y])] = "conflict"
                continue
            union(ra, rb)

    roots = [find(x) for x in range(n)]
    # label = smallest record id in the cluster: stable across runs and independent of pair order
    smallest: dict[int, int] = {}
    for root, rid in zip(roots, id_list, strict=True):
        if root not in smallest or rid < smallest[root]:
            smallest[root] = rid
    labels = pd.Series(np.array([smallest[r] for r in roots], dtype=np.int64), index=ids, name="cluster")
    return ClusterOutcome(labels=labels, refused=refused)


def blocked_by_cannot(ra: int, rb: int, members: dict[int, list[int]], cannot: dict[int, set[int]], find) -> bool:
    for x in members.get(ra, [ra]):
        for y in cannot.get(x, ()):
            if find(y) == rb:
                return True
    return False


def cluster(
    index: pd.Index,
    pairs: pd.DataFrame,
    *,
    must_link: Iterable[tuple[int, int]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
    conflicts: ConflictChecker | pd.DataFrame | Callable[[int, int], bool] | None = None,
    settings: MatchSettings | None = None,
) -> pd.Series:
    """Record id -> cluster label (the smallest record id in the cluster); every record of ``index`` appears.

    ``pairs`` is indexed by (id_a, id_b) with a ``probability`` column and optionally ``decision``: pairs
    whose decision is "link" (else probability >= ``auto_link_threshold``) are joined greedily, most
    probable first, after all ``must_link`` pairs.  A join is refused when it would put a cannot-link
    pair, or two conflicting records, in one cluster, or grow a cluster beyond ``max_cluster_size``.
    ``conflicts`` is a prepared frame (or a :class:`ConflictChecker` built from one) giving given names,
    DOBs and national ids, or a callable ``(id_a, id_b) -> bool`` evaluated over all cross pairs.
    """
    return cluster_details(
        index, pairs, must_link=must_link, cannot_link=cannot_link, conflicts=conflicts, settings=settings
    ).labels
