"""Manager pages of the catalog app: products, photos, CSV import/export, catalogues."""
