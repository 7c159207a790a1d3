"""The study: what checks the original's claims and goes beyond it (records, claims, controls, atlas)."""
