"""Analytics: pure functions over domain values, with exact arithmetic."""
