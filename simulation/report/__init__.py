"""The planner's HTML report: ``page`` lays it out and writes it; ``sections`` computes what
each comparison needs, ``wording`` puts numbers into words, and ``tables``, ``figures`` and
``blocks`` make the parts."""
