"""Training data Atelier makes itself: procedural scenes in the official pix2pix layout.

Only numpy and Pillow here (no torch), so catalogs can import the palettes
cheaply.
"""
