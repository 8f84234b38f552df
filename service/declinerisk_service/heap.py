"""Keeps the garbage collector off the service's long-lived objects.

A worker holds a large heap that lives as long as it does: the model, its compiled tables,
pandas, scikit-learn and InterpretML's modules. Python's cyclic collector walks all of it on
every full collection, and with the default thresholds a busy service made full collections
often (score records wait a moment in the recorder's queue, long enough to count as
long-lived). Measured on 100-offer requests, the walks were most of the request thread's time
under load. ``settle`` moves what exists now into the collector's permanent generation
(``gc.freeze``, the standard library's tool for exactly this), so collections walk only what
requests create, and raises the thresholds.
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
    """Freeze what exists now, and collect less often. No collection first: it would cost
    each start (and each app a test makes) a walk of the whole heap, and the start-up's own
    garbage cycles, which it would free, are a one-off."""
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)


def unsettle() -> None:
    """When the app stops: what it held becomes collectable again (an app made and stopped
    in a process that goes on, as in tests, leaves no frozen garbage)."""
    gc.unfreeze()
    gc.set_threshold(*DEFAULTS)


def resettle() -> None:
    """After a model reload: freeze again, so the new model is not walked either. The replaced
    one needs no collection: a scorer's objects hold no reference cycles (a test drops a
    frozen one and sees it freed), so reference counting frees it, frozen or not; a collection
    here would hold the interpreter lock for a walk of the whole heap on every reload."""
    gc.freeze()
