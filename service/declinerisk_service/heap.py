"""Keeps the garbage collector off the service's long-lived objects.

A worker holds a large heap that lives as long as it does: the model, its compiled tables,
pandas, scikit-learn and InterpretML's modules. Python's cyclic collector walks all of it on
every full collection, and a busy service triggers full collections often (score records
wait a moment in the recorder's queue, long enough to count as long-lived). Measured on 100-offer
requests, the walks were most of the request thread's time under load. ``settle`` moves
what exists now into the collector's permanent generation (``gc.freeze``, the standard
library's tool for exactly this), so collections walk only what requests create.
"""

from __future__ import annotations

import gc

# Collections after 50,000 new container objects rather than 700, and the older generations
# after 20 and 100 of the younger one's: a request of 100 offers makes thousands of short-lived
# objects (and score rows wait in the recorder's queue), and the default thresholds walked them
# dozens of times a second. Garbage without cycles is freed by reference counting regardless.
THRESHOLDS = (50_000, 20, 100)
DEFAULTS = gc.get_threshold()


def settle() -> None:
    """Freeze what exists now (after start-up: a full collection there would cost a pause and
    find little), and collect less often."""
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)


def unsettle() -> None:
    """When the app stops: what it held becomes collectable again (an app made and stopped
    in a process that goes on, as in tests, leaves no frozen garbage)."""
    gc.unfreeze()
    gc.set_threshold(*DEFAULTS)


def resettle() -> None:
    """After a model reload: give the frozen heap back to the collector, so the replaced
    model's reference cycles (if any) are freed by a later full collection instead of kept for
    the worker's life. Full collections are rare under the raised thresholds, so walking the
    whole heap again costs little, and a reload does not stop the requests for one."""
    gc.unfreeze()
