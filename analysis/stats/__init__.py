"""The statistics layer: estimates with their uncertainty; imports nothing from the package."""
