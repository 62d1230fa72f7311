"""Headless sub-commands of main.py from the training layer: preprocess and train."""
