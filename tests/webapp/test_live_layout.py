"""How many live workers `manage.py studio` starts, and with how many torch threads (webapp/processes.py)."""
from webapp.processes import MAX_CPU_LIVE_WORKERS, live_layout


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


def test_a_gpu_gets_one_worker_and_torch_s_own_threads():
    assert live_layout(0, 0, gpu=True, cores=16) == (1, 0)
    assert live_layout(4, 0, gpu=True, cores=16) == (4, 0)  # several per GPU when asked
