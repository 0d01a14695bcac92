"""Trains the reference small CNN of lib/bench/nn.ts in PyTorch on the CPU and prints images/s.

Same network as the tfjs benchmark: conv16-conv32-maxpool-conv64-GAP-dense(2), 3x3 'same'
convolutions with ReLU, 64x64 grey input, batch 32, Adam(1e-3), softmax cross-entropy, random data.
Run by `deno task bench --only nn` with Debian's /usr/bin/python3 when python3-torch is installed.

Usage: /usr/bin/python3 lib/bench/_torch_cnn.py WARMUP STEPS [THREADS]  (THREADS 0 = one per core)
Prints one JSON line: {"imagesPerSecond": ..., "msPerStep": ..., "threads": ..., "torch": ...,
"convIsa": ...} (convIsa: the instruction set oneDNN's JIT used for a convolution, e.g. avx512_core)
"""

import ctypes
import json
import os
import re
import sys
import tempfile
import time

import torch
from torch import nn


def conv_isa(model: nn.Module) -> str:
    """The instruction set oneDNN's JIT chose for the first convolution (e.g. avx512_core).

    oneDNN prints it in verbose mode on file descriptor 1; it is captured in a temporary file.
    """
    try:
        with tempfile.TemporaryFile(mode="w+") as tmp:
            sys.stdout.flush()
            saved = os.dup(1)
            os.dup2(tmp.fileno(), 1)
            try:
                with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
                    model[0](torch.randn(32, 1, 64, 64))
            finally:
                ctypes.CDLL(None).fflush(None)  # oneDNN writes with C stdio
                os.dup2(saved, 1)
                os.close(saved)
            tmp.seek(0)
            m = re.search(r"convolution,jit:(\w+)", tmp.read())
            return m.group(1) if m else "unknown"
    except Exception:  # noqa: BLE001 - the ISA is informative only
        return "unknown"


def main() -> None:
    warmup = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    torch.manual_seed(0)
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    torch.set_num_threads(threads if threads > 0 else (os.cpu_count() or 1))
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(64, 2),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(32, 1, 64, 64)
    y = torch.arange(32) % 2

    def step() -> None:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        loss.item()

    for _ in range(warmup):
        step()
    isa = conv_isa(model)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    dt = (time.perf_counter() - t0) / steps
    print(
        json.dumps(
            {
                "imagesPerSecond": 32 / dt,
                "msPerStep": dt * 1000,
                "threads": torch.get_num_threads(),
                "torch": torch.__version__,
                "convIsa": isa,
            }
        )
    )


if __name__ == "__main__":
    main()
