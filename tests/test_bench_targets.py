"""The benchmarks judge their runs by issue #20's targets: verify at 200/s, 10 ms of CPU a
mention, 5x the naive loop and within 10% with faulty sources; accept at 1,000/s with the
cores busy."""

from __future__ import annotations

from bench import accept, verify
from bench.common import CpuMeter


def _verify(healthy: float, faulty: float, cpu_ms: float, naive: float) -> str:
    results = {"verify_rate_healthy": healthy, "verify_rate_faulty": faulty}
    return verify.targets({**results, "verify_cpu_ms": cpu_ms}, naive, "heavy")


def test_a_verify_run_at_every_target_meets_each_of_them() -> None:
    line = _verify(healthy=200, faulty=180, cpu_ms=10.0, naive=40)
    assert line.count("meets target") == 4 and "BELOW" not in line, line
    assert "200/s" in line and "10.0 ms of CPU" in line and "5.00x" in line and "0.90x" in line


def test_each_verify_target_missed_is_named_below_target() -> None:
    cases = {
        "/s (>= 200/s: BELOW": _verify(199, 199, 9.0, 10),
        "a mention (<= 10 ms: BELOW": _verify(300, 300, 10.1, 10),
        "naive loop (>= 5x: BELOW": _verify(300, 300, 9.0, 61),
        "healthy rate (>= 0.9x: BELOW": _verify(300, 269, 9.0, 10),
    }
    for missed, line in cases.items():
        assert line.count("BELOW target") == 1 and missed in line, line


def test_an_accept_run_meets_its_target_only_at_1000_a_second_with_the_cores_busy() -> None:
    assert accept.target_line(1000, 0.05).count("meets target") == 2
    assert "1,000/s: BELOW" in accept.target_line(999, 0.0)
    assert "idle (target <= 5%: BELOW" in accept.target_line(1200, 0.06)


def test_the_cpu_total_leaves_out_the_groups_named_and_a_splits_parts() -> None:
    meter = CpuMeter({}, {}, {"worker": ("celery", "sandbox")})
    meter.used = {"web": 1.0, "worker": 3.0, "celery": 1.0, "sandbox": 2.0, "wrk": 0.5}
    assert meter.total_ms(1000) == 4.5
    assert meter.total_ms(1000, without=("wrk",)) == 4.0
    assert meter.total_ms(0) == 0.0
