"""Identity-resolution engine: standardised customer source records in, scored pairs and clusters out.

Plain Python (pandas, numpy, recordlinkage/jellyfish, scikit-learn); no Django, so it runs the same in
the web app, in background jobs, in benchmarks and in tests.

Input frame contract: index = record id (int64, unique); columns (any may be absent, None or "", all
meaning missing) ``source``, ``given_name``, ``family_name``, ``given_key``, ``family_key``,
``given_phonetic``, ``family_phonetic``, ``email_key``, ``phone_key``, ``date_of_birth`` (ISO
"YYYY-MM-DD"), ``birth_year``, ``postcode_key``, ``street_key``, ``city``, ``company_key``,
``national_id_key`` -- the match keys of ``connectors.standardisation.standardise_record``.

Stages (each usable alone): :func:`prepare` -> :func:`candidate_pairs` -> :func:`compare` ->
:func:`contrary_evidence` -> :class:`FellegiSunterModel` (or :class:`SupervisedModel`) -> :func:`cluster`;
:func:`resolve` runs them all.
"""

from profiles.matching.blocking import candidate_pairs
from profiles.matching.clustering import ConflictChecker, cluster, cluster_details
from profiles.matching.comparison import FIELDS, compare, contrary_evidence
from profiles.matching.models import (
    FellegiSunterModel,
    SupervisedModel,
    model_from_dict,
    term_frequencies,
    tf_values,
)
from profiles.matching.pipeline import ResolveResult, decide, resolve
from profiles.matching.prepare import INPUT_COLUMNS, prepare
from profiles.matching.settings import MatchSettings

__all__ = [
    "FIELDS",
    "INPUT_COLUMNS",
    "ConflictChecker",
    "FellegiSunterModel",
    "MatchSettings",
    "ResolveResult",
    "SupervisedModel",
    "candidate_pairs",
    "cluster",
    "cluster_details",
    "compare",
    "contrary_evidence",
    "decide",
    "model_from_dict",
    "prepare",
    "resolve",
    "term_frequencies",
    "tf_values",
]
