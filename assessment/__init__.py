"""Assessment: vision measurements in, body-part ratings (observations) out.

Knows nothing of chat. Entry points:
  rating.assess(measurements, profile) -> list[Observation]   one per vocabulary observation
  compare.compare(before, after) -> list[Change]              progress (also rating.compare)

Modules: types (Profile, Observation, Change), thresholds (+ thresholds.yaml: value
definitions, reference ranges by age and sex, method errors, sources), values (values
from measurements, or why not), texts (+ texts.yaml: the patient's sentences), rating,
compare.
"""
