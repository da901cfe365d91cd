"""What guests do over time: footprints, working sets, page contents, traces."""
