"""The schedule: one leader at a time runs the scheduler, which enqueues the periodic ticks."""
