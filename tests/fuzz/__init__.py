"""A differential fuzzer for mockflow's HTTP surface, derived from MLflow's proto descriptors.

- `catalogue`: every RPC the installed mlflow declares (path, method, request fields), the same
  source as mockflow's route table (`mockflow/wire/routes.py`).
- `generate`: deterministic cases from a seed: a valid-ish body per RPC, then one mutation of it
  (field types, nulls, sizes, unicode, non-finite numbers, nesting, both spellings of a field) or
  of the transport (raw bodies, content types, methods, query strings, paths).
- `send`: a per-server world (experiment, run, logged model, registered model, version) that the
  cases' symbolic ids resolve against, and a raw HTTP client that sends exactly what a case says.
- `classify`: what counts as a bad answer from mockflow alone, and the named kinds a
  disagreement with a real `mlflow server` falls into.

Run longer with `make fuzz FUZZ_COUNT=... FUZZ_SEED=...` (docs/testing.md).
"""
