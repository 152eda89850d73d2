"""The one import pipeline: preview a plan built from a source, then apply it exactly, once.

Every import goes through it: the CSV import of products (``catalog``) and the Escarcelle
imports of products and beneficiaries (``escarcelle.imports``).

- ``rows``: the typed plan row (``Row``), its statuses, its JSON form;
- ``models``: ``ImportPlan`` (one per preview) and ``PlanRow`` (its rows, one table row each);
- ``services``: create, store the rows, opt-outs, apply in short chunks, purge;
- ``selectors``: a page of rows, the rows to apply;
- ``display``: plan values shown the French way, the diff lines of the shared partial
  ``templates/imports/_diff.html``;
- ``bulk``: set-based writes (one statement for many rows) on SQLite and PostgreSQL.
"""
