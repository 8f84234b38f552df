"""The model: the glassbox, its training recipe, the logistic baseline, bands and metrics."""
