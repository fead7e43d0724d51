"""The reporting app's pages, one module per area; each lists its own URL patterns."""
