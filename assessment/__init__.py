"""Assessment: vision measurements in, body-part ratings (observations) out.

Knows nothing of chat. Entry point: ``assessment.rating.assess``.
"""
