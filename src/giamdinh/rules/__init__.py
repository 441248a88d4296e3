"""The rule set: one small file per rule, and edit tables as data."""
