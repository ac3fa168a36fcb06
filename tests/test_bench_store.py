"""bench/store.py --tasks: each mode runs its baseline worker beside the variants, in turns,
and counts a worker's finished messages by its own lines (one a task, or a batch's size)."""

from __future__ import annotations

from bench import store


def test_every_mode_runs_the_setting_beside_its_variants() -> None:
    for mode, setting in (
        ("prefetch", "prefetch 4 (the setting)"),
        ("acks", "acks_late (the setting)"),
        ("batches", "verify, one id a task (the setting)"),
    ):
        labels = [label for label, *_ in store._variants(mode, 0)]
        assert setting in labels and len(labels) >= 2, (mode, labels)


def test_the_ack_modes_take_turns_going_first() -> None:
    firsts = [store._variants("acks", round_)[0][0] for round_ in range(3)]
    assert firsts == ["acks_late (the setting)", "acks early", "acks_late (the setting)"]


def test_the_batch_sizes_take_turns_going_first() -> None:
    firsts = [store._variants("batches", round_)[0][3] for round_ in range(3)]
    assert firsts == [0, 4, 16]


def test_only_batch_workers_run_batches_and_only_the_early_one_acks_early() -> None:
    sizes = {label: batch for label, _, _, batch in store._variants("batches", 0)}
    assert sizes == {"verify, one id a task (the setting)": 0, "batches of 4": 4,
                     "batches of 16": 16}  # fmt: skip
    early = {label: early for label, _, early, _ in store._variants("acks", 0)}
    assert early == {"acks_late (the setting)": False, "acks early": True}


def test_a_batch_worker_is_done_by_the_sizes_of_its_batches() -> None:
    output = (
        '{"message": "bench batch of 16 done"}\n{"message": "bench batch of 3 done"}\n'
        "Task pingsvc.verify[1] succeeded in 0.01s: None\n"
    )
    assert store._done(output, batch=16) == 19
    assert store._done(output, batch=0) == 1


def test_a_batch_worker_runs_the_batch_task_with_a_window_for_every_thread() -> None:
    command = store._worker("h1", ["-Q", "q-idle"], early=False, batch=16)
    assert command[1] == "-c" and store.BATCH_TASK in command[2] and command[3] == "16"
    assert command[-2:] == ["--prefetch-multiplier", "16"] and "-Q" in command
    plain = store._worker("h1", ["-Q", "q-idle"], early=False, batch=0)
    assert plain[1:3] == ["-m", "celery"], plain
