"""Retrieval and answer evaluation: datasets of questions with evidence quotes, metrics, the runner."""
