"""The ASGI entry point for uvicorn workers: ``uvicorn declinerisk_service.asgi:app``."""

from declinerisk_service.app import create_app

app = create_app()
