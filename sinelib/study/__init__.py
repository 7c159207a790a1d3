"""The study: what judges the original's claims and goes beyond them (records, claims,
controls, the seed spread, the atlas, the README's tables and figures)."""
