"""A sample of the input fuzz (tests/fuzz_inputs.py): every container, every mutation kind, and
every case ends decoded or in a coded error. The whole set runs with `python tests/fuzz_inputs.py`."""

from __future__ import annotations

import fuzz_inputs


def test_damaged_recordings_end_decoded_or_coded(tmp_path):
    all_cases = list(fuzz_inputs.cases(fuzz_inputs.samples(tmp_path), per_kind=1))
    outcomes = fuzz_inputs.run(all_cases, tmp_path)
    print(fuzz_inputs.report(outcomes))
    kinds = {(o.case.container, o.case.kind) for o in outcomes}
    assert len(kinds) == len(fuzz_inputs.FORMATS) * len(fuzz_inputs.KINDS)
    uncoded = [f"{o.case.container}/{o.case.name}: {o.detail}" for o in outcomes if o.result == "uncoded"]
    assert uncoded == []
    assert sum(o.result == "coded" for o in outcomes) >= len(outcomes) // 3  # the damage is really seen
