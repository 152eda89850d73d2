"""The grocery's reports: households served, amounts paid, aid given, per period."""
