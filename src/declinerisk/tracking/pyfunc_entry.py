"""The MLflow "models from code" definition of the declinerisk pyfunc.

Training logs this file (not a pickle of the model object): MLflow runs it when the logged
model is loaded, and it names the model class. Only MLflow should import it.
"""

from __future__ import annotations

import mlflow.models

from declinerisk.tracking.pyfunc import DeclineRiskPyfunc

mlflow.models.set_model(DeclineRiskPyfunc())
