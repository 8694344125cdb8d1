"""The mutation run (README "Mutation run"): curated handler bugs against both suites."""
