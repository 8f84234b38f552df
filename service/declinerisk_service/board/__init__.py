"""The recruiter board: server-rendered pages under ``/board`` (see :func:`install`)."""

from declinerisk_service.board.app import install

__all__ = ["install"]
