"""Run execution: the queue that orders runs, the worker that executes them, and the event
log that streams their output to any number of listeners."""
