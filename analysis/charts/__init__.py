"""The charts layer: the figure theme (deterministic saving) and the plots."""
