"""The Telegram adapter: turns updates into dialog events and dialog replies into messages."""
