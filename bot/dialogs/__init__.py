"""Conversation state machines (transitions), free of Telegram: events in, replies out."""
