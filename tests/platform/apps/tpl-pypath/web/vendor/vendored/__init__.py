"""A package vendored into the component directory (-p vendor)."""
NAME = "vendored 1.0"
