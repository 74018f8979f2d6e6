"""Embedded simulators of NetSuite and Dotdigital that speak their wire protocols.

Only the wire protocols are known here: nothing in this package imports the
clients or the engine.
"""
