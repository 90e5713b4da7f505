"""The Hokusai auth service's failures, as mockflow can provoke them.

The deployed gateway asks an external auth service (``POST /api/v1/keys/validate``) about every
key. That service can fail, and the gateway answers each failure in its own way (see
``mockflow/auth/gateway.py``). mockflow has no such service: a failure is provoked per key (the
key file's ``auth_service`` field) or per request through the fault API (a rule with
``auth_service=...``, which the fault layer leaves on the WSGI environ under :data:`ENVIRON_KEY`
for the auth layer to find).

Each failure names what the service did:

- ``unavailable``: it could not be reached (connection refused, DNS, ...);
- ``error``: it answered a status other than 200, 401 or 429 (e.g. a 500);
- ``timeout``: it did not answer within the gateway's timeout;
- ``rate_limited``: it answered 429, the caller is over its rate limit;
- ``malformed``: it answered 200 with a body that is not a JSON object.
"""

from __future__ import annotations

FAILURES = ("unavailable", "error", "timeout", "rate_limited", "malformed")

# Where the fault layer (outside Flask) leaves a provoked failure for the auth layer (inside).
ENVIRON_KEY = "mockflow.auth_service_failure"
