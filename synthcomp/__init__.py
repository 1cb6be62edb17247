"""synthcomp: synthetic computers at scale for long-horizon productivity simulation."""

__version__ = "0.1.0"
