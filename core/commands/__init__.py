"""Headless sub-commands of main.py (the core layer's: render, analyze, bench, self-test)."""
