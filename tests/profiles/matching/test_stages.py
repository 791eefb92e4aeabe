"""Unit tests of the matching stages on tiny hand-made frames (no Django, no database)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from profiles.matching import (
    FellegiSunterModel,
    MatchSettings,
    SupervisedModel,
    candidate_pairs,
    cluster,
    compare,
    contrary_evidence,
    model_from_dict,
    prepare,
    resolve,
)
from profiles.matching.names import (
    canonical_given,
    given_level,
    misspelt_given,
    names_from_email,
    nickname_equivalent,
)
from tests.profiles.matching.helpers import HOUSEHOLD, frame, person


def pairs_of(*tuples: tuple[int, int]) -> pd.MultiIndex:
    return pd.MultiIndex.from_tuples(list(tuples), names=["id_a", "id_b"])


# ---------------------------------------------------------------- names / prepare


@pytest.mark.parametrize(
    ("a", "b"),
    [("bob", "robert"), ("liz", "elizabeth"), ("bill", "william"), ("peggy", "margaret"), ("sam", "samuel")],
)
def test_nicknames_are_equivalent(a: str, b: str) -> None:
    assert nickname_equivalent(a, b)
    assert given_level(a, b) == 4


def test_clearly_different_names_and_typos() -> None:
    assert given_level("john", "jane") == 1
    assert given_level("john", "joan") == 1  # two real names one letter apart are two people
    assert given_level("hannah", "hnnah") == 3
    assert given_level("j", "john") == 2
    assert canonical_given("bob") == canonical_given("robert")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("bily", "william"),  # a slip of Billy, a nickname of William
        ("aanda", "mandy"),  # Amanda misspelt, beside her nickname
        ("pattrick", "paddy"),
        ("hnnah", "hannnah"),  # two slips of Hannah
        ("ay", "amy"),  # a letter dropped from a three-letter name
        ("mi", "mei"),
    ],
)
def test_a_misspelt_name_reads_as_the_name_it_slipped_from(a: str, b: str) -> None:
    assert given_level(a, b) == 3


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("jana", "jenny"),  # one slip from Jane and from Jan: read as itself
        ("john", "joan"),
        ("jo", "joy"),  # a known two-letter name is no slip
        ("alice", "bruno"),
    ],
)
def test_names_that_stay_clearly_different(a: str, b: str) -> None:
    assert given_level(a, b) == 1


def test_misspelt_given_names() -> None:
    assert misspelt_given("maary") == {"mary"}
    assert misspelt_given("bily") == {"bill", "billy"}  # one name: its nickname group
    assert misspelt_given("hannah") == set()  # a known name
    assert misspelt_given("jana") == set()  # jane or jan: ambiguous
    assert misspelt_given("williams") == set()


def test_names_from_email() -> None:
    assert names_from_email("john.smith@example.com") == ("john", "smith")
    assert names_from_email("smith.john@example.com") == ("john", "smith")
    assert names_from_email("jsmith@example.com") == ("j", "smith")
    assert names_from_email("georgiasmith@gmail.com") == ("georgia", "smith")
    assert names_from_email("info@example.com") == (None, None)


def test_prepare_recovers_names_and_treats_blank_as_missing() -> None:
    df = frame(
        person(None, None, email="john.smith@example.com"),
        person("Amanda", None, email="amurray@gmail.com"),
        {**person("Kate", "Lee"), "phone_key": "", "email_key": ""},
    )
    prep = prepare(df)
    assert (prep.loc[1, "gk"], prep.loc[1, "fk"], bool(prep.loc[1, "name_from_email"])) == ("john", "smith", True)
    assert (prep.loc[2, "gk"], prep.loc[2, "fk"]) == ("amanda", "murray")
    assert prep.loc[3, "phone_key"] is None and prep.loc[3, "email_key"] is None
    assert prep.loc[1, "gc"] == canonical_given("john")


def test_names_in_each_others_fields_are_swapped_back_but_not_a_misspelt_given_name() -> None:
    df = frame(person("Becker", "Stephen"), person("Maary", "Ryan"), person("Peters", "Stephen"))
    prep = prepare(df)
    assert (prep.loc[1, "gk"], prep.loc[1, "fk"]) == ("stephen", "becker")
    assert (prep.loc[2, "gk"], prep.loc[2, "fk"]) == ("maary", "ryan")  # Mary misspelt, not a swap
    assert (prep.loc[3, "gk"], prep.loc[3, "fk"]) == ("stephen", "peters")  # Peter + s: a family name


# ---------------------------------------------------------------- blocking


def test_blocking_finds_shared_email_and_phone_and_respects_focus() -> None:
    df = frame(
        person("Ann", "Apple", email="ann@x.com"),
        person("Bea", "Berry", email="ann@x.com"),
        person("Cal", "Cherry", phone="+61400000001"),
        person("Dan", "Date", phone="+61400000001"),
        person("Eve", "Elder"),
    )
    prep = prepare(df)
    pairs = candidate_pairs(prep)
    assert (1, 2) in pairs and (3, 4) in pairs
    assert all(a < b for a, b in pairs)
    focused = candidate_pairs(prep, focus=pd.Index([3]))
    assert (3, 4) in focused
    assert all(3 in p for p in focused)


def test_block_pairs_generate_each_within_block_pair_once() -> None:
    from profiles.matching.blocking import block_pairs

    codes = np.array([0, 1, 0, -1, 0, 1, 2])
    a, b = block_pairs(codes, max_block_size=10)
    assert sorted(zip(a.tolist(), b.tolist(), strict=True)) == [(0, 2), (0, 4), (1, 5), (2, 4)]
    a, b = block_pairs(codes, max_block_size=2)  # the block of three is skipped
    assert list(zip(a.tolist(), b.tolist(), strict=True)) == [(1, 5)]


def test_blocking_skips_oversized_blocks() -> None:
    df = frame(*[person(f"N{i}", f"F{i}x", email="shared@x.com") for i in range(10)])
    small = candidate_pairs(prepare(df), settings=MatchSettings(max_block_size=5, neighbourhood_window=2))
    large = candidate_pairs(prepare(df), settings=MatchSettings(max_block_size=20, neighbourhood_window=2))
    assert len(large) == 45 and len(small) < 45


# ---------------------------------------------------------------- comparison


def test_missing_is_not_disagreement() -> None:
    df = frame(person("John", "Smith", email="js@x.com"), person("John", "Smith"))
    levels = compare(prepare(df), pairs_of((1, 2)))
    row = levels.iloc[0]
    assert row["email"] == 0 and row["phone"] == 0 and row["dob"] == 0 and row["address"] == 0
    assert row["given"] == 5 and row["family"] == 4


def test_nickname_and_day_month_swap_levels() -> None:
    df = frame(
        person("Robert", "Brown", dob="1980-03-07"),
        person("Bob", "Brown", dob="1980-07-03"),
        person("Robert", "Brown", dob="1980-03-08"),
    )
    levels = compare(prepare(df), pairs_of((1, 2), (1, 3)))
    assert levels.loc[(1, 2), "given"] == 4
    assert levels.loc[(1, 2), "dob"] == 4  # swap
    assert levels.loc[(1, 3), "dob"] == 3  # one component typo


def test_household_rule_forbids_link_despite_shared_address_phone_surname() -> None:
    df = frame(
        person("John", "Smith", dob="1960-01-01", **HOUSEHOLD),
        person("Mary", "Smith", dob="1962-05-05", **HOUSEHOLD),
        person("Jon", "Smith", dob="1960-01-01", **HOUSEHOLD),
    )
    prep = prepare(df)
    pairs = pairs_of((1, 2), (1, 3))
    contrary = contrary_evidence(prep, pairs)
    assert bool(contrary[(1, 2)]) and not bool(contrary[(1, 3)])


def test_twins_are_kept_apart_but_same_national_id_overrides() -> None:
    df = frame(
        person("Emma", "Jones", dob="1990-02-02", **HOUSEHOLD),
        person("Olivia", "Jones", dob="1990-02-02", **HOUSEHOLD),
        person("Emma", "Jones", dob="1990-02-02", national_id="123456789"),
        person("Emmx Qz", "Jones", dob="1990-02-02", national_id="123456789"),
    )
    contrary = contrary_evidence(prepare(df), pairs_of((1, 2), (3, 4)))
    assert bool(contrary[(1, 2)])
    assert not bool(contrary[(3, 4)])


# ---------------------------------------------------------------- models


def _synthetic_levels(n_match: int = 400, n_non: int = 1600, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for is_match, count in ((True, n_match), (False, n_non)):
        for _ in range(count):
            if is_match:
                row = {
                    "given": rng.choice([5, 4, 3, 2, 0], p=[0.8, 0.08, 0.05, 0.02, 0.05]),
                    "family": rng.choice([4, 3, 1, 0], p=[0.88, 0.05, 0.02, 0.05]),
                    "email": rng.choice([4, 1, 0], p=[0.6, 0.2, 0.2]),
                    "phone": rng.choice([4, 1, 0], p=[0.5, 0.1, 0.4]),
                }
            else:
                row = {
                    "given": rng.choice([5, 3, 2, 0], p=[0.2, 0.1, 0.1, 0.6]),
                    "family": rng.choice([4, 3, 1, 0], p=[0.3, 0.1, 0.55, 0.05]),
                    "email": rng.choice([4, 1, 0], p=[0.01, 0.79, 0.2]),
                    "phone": rng.choice([4, 1, 0], p=[0.01, 0.59, 0.4]),
                }
            rows.append(row)
            labels.append(is_match)
    levels = pd.DataFrame(rows).astype("int8")
    levels.index = pd.MultiIndex.from_arrays([np.arange(len(rows)), np.arange(len(rows)) + 100000])
    return levels, pd.Series(labels, index=levels.index)


def test_em_learns_sensible_m_and_u() -> None:
    levels, labels = _synthetic_levels()
    model = FellegiSunterModel.fit(levels)
    assert 0.1 < model.prior < 0.35
    assert model.m["email"][4] > 0.5 and model.u["email"][4] < 0.05
    w = model.level_weights()
    assert w["email"][4] > 3 and w["email"][1] < 0 and w["family"][4] > 0
    p = model.probability(levels)
    accuracy = ((p > 0.5) == labels).mean()
    assert accuracy > 0.9


def test_model_round_trip_is_json_serialisable() -> None:
    levels, labels = _synthetic_levels()
    fs = FellegiSunterModel.fit(levels)
    fs2 = model_from_dict(json.loads(json.dumps(fs.to_dict())))
    pd.testing.assert_series_equal(fs.probability(levels), fs2.probability(levels))
    sup = SupervisedModel.fit(levels, labels)
    sup2 = model_from_dict(json.loads(json.dumps(sup.to_dict())))
    assert isinstance(sup2, SupervisedModel)
    np.testing.assert_allclose(sup.probability(levels), sup2.probability(levels))
    assert ((sup.probability(levels) > 0.5) == labels).mean() > 0.9
    weights = sup.match_weights(levels)
    assert (weights.loc[levels["email"] == 0, "email"] == 0).all()  # missing contributes nothing


# ---------------------------------------------------------------- clustering


def _scored(*rows: tuple[int, int, float]) -> pd.DataFrame:
    idx = pairs_of(*[(a, b) for a, b, _ in rows])
    return pd.DataFrame({"probability": [p for _, _, p in rows]}, index=idx)


def test_cluster_refuses_to_chain_through_a_household() -> None:
    # 1 John and 3 Mary both link to 2 (a record with only an initial and the household contacts)
    df = frame(
        person("John", "Smith", **HOUSEHOLD),
        person("J", "Smith", **HOUSEHOLD),
        person("Mary", "Smith", **HOUSEHOLD),
    )
    prep = prepare(df)
    labels = cluster(prep.index, _scored((1, 2, 0.99), (2, 3, 0.97)), conflicts=prep)
    assert labels[1] == labels[2] and labels[3] != labels[1]


def test_a_slip_of_one_name_of_a_cluster_may_join_it_beside_another_spelling() -> None:
    # 1 Justin and 2 Jhstin (a typo) are one person; 3 Jhsstin is one slip from Jhstin but clearly
    # different from Justin: read as Jhstin, it joins. 4 Jason at the same address does not.
    shared = dict(email="justin.w@example.com", dob="1944-03-30", **HOUSEHOLD)
    df = frame(
        person("Justin", "Williams", **shared),
        person("Jhstin", "Williams", **shared),
        person("Jhsstin", "Williams", **shared),
        person("Jason", "Williams", **HOUSEHOLD),
    )
    prep = prepare(df)
    labels = cluster(prep.index, _scored((1, 2, 0.99), (2, 3, 0.98), (3, 4, 0.97)), conflicts=prep)
    assert labels[1] == labels[2] == labels[3]
    assert labels[4] != labels[1]


def test_cluster_must_link_cannot_link_size_and_singletons() -> None:
    index = pd.Index([1, 2, 3, 4, 5], dtype="int64")
    pairs = _scored((1, 2, 0.99), (2, 3, 0.98), (3, 4, 0.97))
    labels = cluster(index, pairs, cannot_link=[(1, 3)])
    assert labels[1] == labels[2] and labels[3] != labels[1] and labels[3] == labels[4]
    labels = cluster(index, pairs, must_link=[(1, 5)])
    assert labels[5] == labels[1] == labels[4]
    labels = cluster(index, pairs, settings=MatchSettings(max_cluster_size=2))
    assert (labels.value_counts() <= 2).all()
    assert set(labels.index) == set(index)
    assert labels[5] == 5  # singleton labelled by its own id


def test_cluster_is_deterministic() -> None:
    index = pd.Index(range(1, 9), dtype="int64")
    pairs = _scored((1, 2, 0.9), (3, 4, 0.9), (2, 3, 0.9), (5, 6, 0.99), (6, 7, 0.95))
    first = cluster(index, pairs, cannot_link=[(1, 4)])
    second = cluster(index, pairs.sample(frac=1.0, random_state=3), cannot_link=[(1, 4)])
    pd.testing.assert_series_equal(first, second)


# ---------------------------------------------------------------- resolve


def test_resolve_links_person_and_keeps_household_apart() -> None:
    df = frame(
        person("Robert", "Nguyen", email="rob.nguyen@x.com", dob="1970-01-02", **HOUSEHOLD),
        person("Bob", "Nguyen", email="rob.nguyen@x.com", source="billing"),
        person("Linda", "Nguyen", dob="1972-08-09", email="rob.nguyen@x.com", **HOUSEHOLD),
        person("Robert", "Nguyen", dob="1970-01-02", phone="+61400000009", source="erp"),
        person("Zed", "Other", email="zed@y.com"),
    )
    result = resolve(df, settings=MatchSettings(auto_link_threshold=0.5))
    c = result.clusters
    assert c[1] == c[2] == c[4]
    assert c[3] != c[1] and c[5] not in (c[1], c[3])
    assert {"probability", "match_weight", "decision", "contrary", "w_given"} <= set(result.pairs.columns)
    assert set(result.pairs["decision"]) <= {"link", "review", "no-match"}
    assert result.pairs.loc[(1, 3), "contrary"]
    assert result.stats["records"] == 5
    # incremental: new record 6 against the stored model and existing golden records
    new = frame(person("Rob", "Nguyen", email="rob.nguyen@x.com", source="support"), start=6)
    both = pd.concat([df, new])
    inc = resolve(both, model=result.model, focus=pd.Index([6]), existing_clusters=c)
    assert inc.clusters[6] == inc.clusters[1] == inc.clusters[2]
    assert inc.clusters[3] != inc.clusters[1]
