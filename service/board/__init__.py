"""The recruiter board: server-rendered pages under ``/board`` (see :func:`install`)."""

from service.board.app import install

__all__ = ["install"]
