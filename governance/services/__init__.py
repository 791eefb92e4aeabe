"""Writes of the governance app: catalog (`catalog.py`), change log (`changes.py`), policy
evaluation and findings (`policies.py`), periodic schedules (`schedules.py`), applying a source
trust suggestion (`trust.py`).

The catalog services are re-exported here because `governance.services.catalog_load` is how the
rest of the project (fixtures, benchmarks) loads a catalog.
"""

from governance.services.catalog import CatalogLoadResult, catalog_apply, catalog_load

__all__ = ["CatalogLoadResult", "catalog_apply", "catalog_load"]
