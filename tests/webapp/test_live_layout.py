"""How many live workers `manage.py studio` starts, with how many torch threads, and how many Daphne
processes (webapp/processes.py)."""
from webapp.processes import GPU_LIVE_WORKERS, GPU_WEB_PROCESSES, MAX_CPU_LIVE_WORKERS, live_layout, web_processes


def test_a_cpu_gets_one_single_threaded_live_worker_per_core():
    assert live_layout(0, 0, gpu=False, cores=1) == (1, 1)
    assert live_layout(0, 0, gpu=False, cores=2) == (2, 1)
    # Past the cap the workers share the cores out: each holds its own models in memory.
    assert live_layout(0, 0, gpu=False, cores=16) == (MAX_CPU_LIVE_WORKERS, 16 // MAX_CPU_LIVE_WORKERS)


def test_what_is_set_is_kept_and_the_rest_fits_it():
    assert live_layout(1, 0, gpu=False, cores=2) == (1, 2)  # one worker: all the cores
    assert live_layout(3, 0, gpu=False, cores=2) == (3, 1)
    assert live_layout(0, 2, gpu=False, cores=2) == (2, 2)
    assert live_layout(2, 4, gpu=False, cores=8) == (2, 4)


def test_a_gpu_machine_gets_a_live_worker_per_two_cores_and_a_web_process_per_four():
    # Each frame's Python runs under one worker's (one Daphne's) GIL, whatever renders it.
    assert live_layout(0, 0, gpu=True, cores=16) == (8, 2)
    assert live_layout(0, 0, gpu=True, cores=2) == (1, 2)
    assert live_layout(0, 0, gpu=True, cores=64) == (GPU_LIVE_WORKERS[1], 8)
    assert live_layout(2, 0, gpu=True, cores=16) == (2, 8)  # fewer when asked
    assert web_processes(0, gpu=True, cores=16) == 4
    assert web_processes(0, gpu=True, cores=3) == 1
    assert web_processes(0, gpu=True, cores=64) == GPU_WEB_PROCESSES[1]


def test_a_cpu_only_machine_gets_one_web_process_unless_told():
    assert web_processes(0, gpu=False, cores=2) == 1
    assert web_processes(0, gpu=False, cores=32) == 1
    assert web_processes(3, gpu=False, cores=2) == 3
