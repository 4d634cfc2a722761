"""Photo analysis on a distributed task queue (Celery), chosen by BACKCARE_BROKER_URL.

The bot (or any caller of the pipeline) puts a photo into Redis under a random key
with a short time-to-live and sends a task naming only that key; ``backcare worker``
processes, each holding one MediaPipe model, analyse it, store the outcome, delete the
photo, and only then acknowledge the task. Without a broker URL the in-process pool
(backcare.vision.pool) stays the default and nothing here is imported.
"""
