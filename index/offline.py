"""Keep run time off the network: no model hub, no telemetry (see DESIGN.md invariants)."""
import os


def enforce() -> None:
    for var, value in {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                       "ANONYMIZED_TELEMETRY": "False", "ORT_DISABLE_TELEMETRY": "1",
                       "TOKENIZERS_PARALLELISM": "false", "DO_NOT_TRACK": "1",
                       "HF_HUB_DISABLE_PROGRESS_BARS": "1", "TRANSFORMERS_VERBOSITY": "error",
                       "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1"}.items():
        os.environ.setdefault(var, value)
