"""SNA risk mapper: the scoring engine for Violence Reduction Unit needs assessments."""

__version__ = "0.1.0"
