"""Imports from Escarcelle: fetch, build a stored plan (the preview), apply it on confirmation.

- ``plans``: the plan's life (create, build in the background, opt-outs, apply, history);
- ``products`` and ``beneficiaries``: how remote items become rows, and how rows are written;
- ``bulk``: set-based SQL writes with a constant number of queries.
"""
