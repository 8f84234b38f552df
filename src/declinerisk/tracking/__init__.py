"""MLflow: training runs, the registry's aliases and the pyfunc flavour of a model."""
