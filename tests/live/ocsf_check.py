"""Reads pullpath's OCSF findings (a JSON array, argv[1]) with Prowler's OCSF models
(`py-ocsf-models`): each must validate as a Detection Finding, and carry no attribute the
model does not know (pydantic drops unknown keys, so the check compares the input with what
the model kept). Prints a summary as JSON; exits 1 on the first problem."""

from __future__ import annotations

import json
import sys

from py_ocsf_models import OCSF_VERSION
from py_ocsf_models.events.findings.detection_finding import DetectionFinding


def unknown(given, kept, path="") -> list[str]:
    """Keys of `given` that `kept` (the model's dump) lost, except inside `unmapped`."""
    if isinstance(given, dict) and isinstance(kept, dict):
        out = []
        for key, value in given.items():
            if path == "" and key == "unmapped":
                continue
            if key not in kept:
                out.append(f"{path}{key}")
            else:
                out.extend(unknown(value, kept[key], f"{path}{key}."))
        return out
    if isinstance(given, list) and isinstance(kept, list):
        return [k for g, h in zip(given, kept) for k in unknown(g, h, path)]
    return []


def main() -> int:
    findings = json.load(open(sys.argv[1]))
    summary = {"ocsf_version": OCSF_VERSION, "findings": []}
    for finding in findings:
        model = DetectionFinding.model_validate(finding)
        kept = model.model_dump(mode="json", exclude_none=True)
        lost = unknown(finding, kept)
        if lost:
            print(f"attributes the OCSF model does not know: {lost}", file=sys.stderr)
            return 1
        summary["findings"].append({
            "class_uid": int(model.class_uid), "type_uid": int(model.type_uid),
            "severity_id": int(model.severity_id), "status_id": int(model.status_id),
            "code": model.metadata.event_code, "uid": model.finding_info.uid,
            "version": model.metadata.version,
        })
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
