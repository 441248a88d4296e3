"""Statistical leads that target inspections; leads open reviews, never refusals.

Public API:

- ``run_signals(con, *, params=None, codes=None) -> pyarrow.Table``: every signal as
  set-based SQL over the logical views on a DuckDB connection, ranked by money at
  stake (``LEADS_SCHEMA``).
- ``SIGNALS``: the lead codes (``SG001``…) and what each means.
- ``Lead``, ``LineRef``, ``leads_from_table``, ``leads_to_table``: leads in Python.
- ``SignalParams``: conservative fractions and thresholds (documented defaults).
- ``read_device_records(paths)``: device-log CSV files and DICOM headers as a table.
"""

from giamdinh.signals.devices import DEVICE_SCHEMA, DeviceRecords, read_device_records
from giamdinh.signals.model import (
    LEADS_SCHEMA,
    SIGNALS,
    Lead,
    LineRef,
    SignalSpec,
    leads_from_table,
    leads_to_table,
)
from giamdinh.signals.params import GROUP_FLOOR_MINUTES, SignalParams
from giamdinh.signals.run import run_signals

__all__ = [
    "DEVICE_SCHEMA",
    "GROUP_FLOOR_MINUTES",
    "LEADS_SCHEMA",
    "SIGNALS",
    "DeviceRecords",
    "Lead",
    "LineRef",
    "SignalParams",
    "SignalSpec",
    "leads_from_table",
    "leads_to_table",
    "read_device_records",
    "run_signals",
]
