"""A module-scoped fixture that runs torch on one thread.

The test machines have two shared cores: a second OpenMP thread that has to
wait for a busy core spins, and makes small convolutions ten times slower.
Import ``one_torch_thread`` into a test module to use it there.
"""

import pytest
import torch


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
