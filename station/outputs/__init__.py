"""End of the day: the multi-workspace merge and what is made from it (export, report, prints, contact sheets)."""
