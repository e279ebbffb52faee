"""Schemathesis hooks for scripts/contract-test.sh (loaded through SCHEMATHESIS_HOOKS).

Fresh Idempotency-Key per request
---------------------------------
Every POST of this API takes a required `Idempotency-Key` header (pattern
`^[!-~]{1,255}$`). The service stores the first request made with a key and
answers a later request with the same key and a *different* body with
422 `idempotency-key-reused` (a replay with the same body gets the stored
response). That is the contract, and the integration tests check it.

Schemathesis draws header values from the schema like any other value, so the
same small key (`0`, `!`, ...) comes back across operations and phases with
other bodies; the stateful phase in particular repeats a create with a new body.
Each such draw is a schema-valid request that the service rightly refuses, and
schemathesis counts it as "valid data rejected". A real client makes one key
per logical request, so this hook does the same: every request whose key is
well-formed gets a fresh UUID. A missing or malformed key (the negative cases of
the coverage phase) is left as drawn, so the header's own rules stay tested.
"""

import re
import uuid

import schemathesis

_HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    """Give each request carrying a well-formed Idempotency-Key a fresh one."""
    headers = case.headers
    if not headers:
        return
    for name in list(headers):
        if name.lower() != _HEADER.lower():
            continue
        value = headers[name]
        if isinstance(value, str) and _KEY.match(value):
            headers[name] = str(uuid.uuid4())
