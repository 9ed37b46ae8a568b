"""Hypothesis settings for the fuzz tests, bounded for CI: HYPOTHESIS_PROFILE=dev (default), ci or long.

`dev` is quick enough for every `make test`; `ci` tries more inputs and still finishes in a couple of minutes;
`long` is for an occasional night run. The deadline is per example and generous: the machine may be shared.
"""
from __future__ import annotations

import os
from datetime import timedelta

from hypothesis import HealthCheck, settings

_COMMON = dict(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                      HealthCheck.data_too_large], print_blob=True)
PROFILES = {
    "dev": settings(max_examples=40, deadline=timedelta(seconds=3), **_COMMON),
    "ci": settings(max_examples=150, deadline=timedelta(seconds=5), **_COMMON),
    "long": settings(max_examples=3000, deadline=None, **_COMMON),
}
for _name, _profile in PROFILES.items():
    settings.register_profile(f"fuzz-{_name}", _profile)

FUZZ = PROFILES.get(os.environ.get("HYPOTHESIS_PROFILE", "dev"), PROFILES["dev"])
