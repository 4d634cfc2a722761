"""What one assessment produced (the Report) and how its causes read; no rendering, no chat."""
