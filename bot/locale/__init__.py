"""Data files of the Telegram adapter (texts.yaml); a package so the wheel ships them."""
