"""Hypothesis settings for the fuzz tests, bounded for CI: HYPOTHESIS_PROFILE=dev (default), ci or long.

`dev` is quick enough for every `make test`; `ci` tries more inputs and still finishes in a couple of minutes;
`long` is for an occasional night run. No profile has a per-example deadline: a timing bound on a shared 2-core
machine fails at random (the 3,000-deep nesting example takes about 1.2 s alone, 3 s under load); pytest-timeout
bounds a real stall, and speed is measured in bench/.
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                      HealthCheck.data_too_large], print_blob=True)
PROFILES = {
    "dev": settings(max_examples=40, deadline=None, **_COMMON),
    "ci": settings(max_examples=150, deadline=None, **_COMMON),
    "long": settings(max_examples=3000, deadline=None, **_COMMON),
}
for _name, _profile in PROFILES.items():
    settings.register_profile(f"fuzz-{_name}", _profile)

FUZZ = PROFILES.get(os.environ.get("HYPOTHESIS_PROFILE", "dev"), PROFILES["dev"])
