"""Economic-technical norms: drafts, costing, consolidation, programme progress."""
