"""Reasoning: abduction over the clinical knowledge base on a MaxSAT solver.

Knows nothing of chat. Entry point: ``reasoning.abduction.Engine``.
"""
