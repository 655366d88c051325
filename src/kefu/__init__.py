"""Kefu (客服): customer-service platform for telecom and cable-TV operators."""

__version__ = "0.1.0"
