"""Network definitions, one module per family, with the official module layouts."""
