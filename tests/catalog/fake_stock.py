"""A stand-in availability reader for storefront tests (`catalog.ports.override`).

Tests set `QUANTITIES[variant.pk] = n`; unlisted variants have `DEFAULT` units. Plain module
state, so a live_server thread sees what the test body set.
"""

QUANTITIES: dict[int, int] = {}
DEFAULT = 50


def available(*, variant_ids, market):
    return {vid: QUANTITIES.get(vid, DEFAULT) for vid in variant_ids}
