"""giamdinh: open, transparent assessment of Vietnamese BHYT claims."""

__version__ = "0.1.0"
