"""What-if replays of rule sets and policy options over past claims."""
