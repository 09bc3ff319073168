"""brushing layer."""
