"""Awareness campaigns: the observance-day calendar, each commune's plan for a year, and the
delivery of campaign messages into every group."""
