"""Reusable widgets and modals of the console."""
