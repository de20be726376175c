"""Admin tooling behind `scripts/replay.py`: verify, inspect, rewind and back up the event log.

Kept as a package (not a script) so every piece is typed, checked by mypy and testable in-process.
"""
