"""Follow-up after the results: reminder schedules, check-ins and progress (no chat)."""
