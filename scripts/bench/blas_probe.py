"""Which BLAS library a PyTorch process loaded: shared by the benchmark scripts of this folder."""
import os

import torch


def blas():
    """The BLAS library this process loaded (Debian's torch links the system's libblas.so.3: netlib's reference BLAS
    unless an optimised one is installed or put first on LD_LIBRARY_PATH)."""
    torch.mm(torch.ones(8, 8), torch.ones(8, 8))
    with open("/proc/self/maps") as maps:
        paths = sorted({line.split()[-1] for line in maps if "blas" in line.split()[-1]})
    if not paths:
        return "unknown"
    path = paths[0]
    name = os.path.join(os.path.basename(os.path.dirname(path)), os.path.basename(path))
    return name + " (netlib reference)" if os.path.basename(os.path.dirname(path)) == "blas" else name
