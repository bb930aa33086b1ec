"""The packaged SYNTHETIC ACLED sample the events tests read (built by
tools/make_acled_sample.py; see src/siegeline/events/samples/README.md)."""

from importlib import resources
from pathlib import Path

SAMPLE_PATH = Path(str(resources.files("siegeline.events") / "samples"
                       / "acled_mali_synthetic_2024_2025.csv"))
