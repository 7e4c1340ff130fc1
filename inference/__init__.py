"""Atelier's neural image translation core: nets, checkpoints, pipelines and CLI, without Django."""
