"""Strategy records of kinds whose whole strategy is a flag or a validator."""

from __future__ import annotations

from localkube.apiserver import metadata, tables
from localkube.apiserver.strategy import Strategy

LEASE = Strategy(validate=metadata.validate_lease, printer=tables.LEASE_PRINTER)
# kinds whose spec changes bump metadata.generation
GENERATION_ONLY = Strategy(generation=True)
