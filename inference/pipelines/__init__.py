"""Pure pipelines: pre-processing, forward and post-processing, no I/O and no global state."""
