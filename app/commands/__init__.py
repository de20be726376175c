"""Commands as data: one declaration serves the Discord adapter and the offline console alike."""
