"""The seeds' rules as plain functions of data: no I/O, no clients, no state.

Each module holds the rules of one topic; the data-set passes call them and
act on what they return.
"""
