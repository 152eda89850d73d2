"""Distribution pages: ``manage`` for managers, ``ordering`` for beneficiaries."""
