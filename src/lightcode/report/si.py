"""The SI formatter for human output (tables, HTML report, figure axes, reprs). It lives in core/si.py so
that core's own reprs (OpGraph) can use it under the layering rule; this is the name the report uses."""

from lightcode.core.si import pct, ratio, si

__all__ = ["si", "ratio", "pct"]
