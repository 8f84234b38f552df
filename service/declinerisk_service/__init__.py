"""The FastAPI layer: routes, request/response models, auth and the app factory."""
