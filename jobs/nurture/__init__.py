"""Nurture sends: plan the day from the calendars, create the WeCom tasks, poll results, remind, repair."""
