"""The kernel: what every package needs (strict YAML, languages, catalogues, the shared vocabulary, paths, logs, metrics, units)."""
