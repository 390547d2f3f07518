"""The reproduction scorecard, above the studies.

- :mod:`lowdim.claims.verdicts`: what a claim is (:class:`~lowdim.claims.verdicts.ClaimSet`), the
  evidence it reads and how a verdict is stated on an interval. Studies import this module only.
- :mod:`lowdim.claims.scorecard`: every registered study's claims evaluated (``claims score``).
- :mod:`lowdim.claims.report`: the markdown, HTML and scale-ladder writers (``claims readme``).

The claims themselves live with their studies: ``lowdim/studies/<study>/claims.py``.
"""
