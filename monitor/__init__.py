"""monitor: watch the news on one geopolitical topic and mail a weekly digest of what is new."""

__version__ = "0.1.0"
