"""Yulelog: an event-sourced Discord community bot. Every change of state is an event in one SQLite log."""
