"""Content: exercise catalog, program builder, patient-facing texts. Knows nothing of chat."""
