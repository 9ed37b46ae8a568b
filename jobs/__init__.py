"""Background jobs: rq entry points, the in-process queue and the sweeper."""
