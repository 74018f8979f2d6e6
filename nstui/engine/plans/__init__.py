"""Saved plans: ``nstui sync --dry-run --plan-out FILE`` and ``nstui apply FILE``.

``file.py`` is the format (written and read a line at a time), ``observe.py``
the digests of the records a plan concerns, read from both sides,
``record.py`` what a dry run saves, ``apply.py`` carrying a saved plan out
through the real executor, or refusing when anything it was made from changed.
"""
