"""Execute one Jupyter notebook with nbclient, without losing late outputs.

Used by `tasks/notebooks.ts` (run with Debian's `/usr/bin/python3`, which has `python3-nbclient`).

The Deno kernel sometimes sends `status: idle` for a cell *before* the cell's last output
(see `NOTEBOOKS.md`). nbclient (like `jupyter nbconvert --execute`) stops reading IOPub at idle
and silently drops that output. This executor:

1. keeps reading IOPub after idle until no message for the cell has arrived for `--grace`
   seconds (the timer restarts on each message of that cell);
2. routes any message that still arrives later for an *earlier* cell into that cell (and counts it
   as `late_outputs` in the report), instead of dropping it.

Usage:
    /usr/bin/python3 tasks/_nbexec.py IN.ipynb OUT.ipynb [--kernel deno] [--timeout 600]
        [--grace 0.3] [--startup-timeout 120]

Writes the executed notebook to OUT (also when a cell fails: outputs up to the failing cell) and
prints one JSON object on stdout:
    {"ok": true, "cells": N, "late_outputs": K, "seconds": S}
    {"ok": false, "cell_index": I, "ename": "...", "evalue": "...", "kind": "error|timeout|dead"}
Exit status 0 when ok, 1 when a cell failed, 2 on a usage or setup problem.
"""

import argparse
import asyncio
import json
import os
import sys
import time
from queue import Empty


def fail_setup(message):
    print(json.dumps({"ok": False, "kind": "setup", "evalue": message}))
    sys.exit(2)


try:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import (
        CellExecutionComplete,
        CellExecutionError,
        CellTimeoutError,
        DeadKernelError,
    )
except ImportError as e:  # pragma: no cover - depends on the machine
    fail_setup(
        f"python module missing ({e}); install Debian's python3-nbclient and python3-ipykernel "
        "and run with /usr/bin/python3"
    )


class GraceClient(NotebookClient):
    """An nbclient NotebookClient that does not drop outputs arriving after `idle`."""

    def __init__(self, *args, grace=0.3, **kwargs):
        super().__init__(*args, **kwargs)
        self.grace = grace
        self.late_outputs = 0
        self._earlier = {}  # parent msg_id -> (cell, cell_index)
        self.current_index = None

    async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
        self.current_index = cell_index
        return await super().async_execute_cell(cell, cell_index, *args, **kwargs)

    def _route(self, msg, parent_msg_id, cell, cell_index):
        """Process msg for the current cell or an earlier one; True when the cell completed."""
        pid = msg["parent_header"].get("msg_id")
        if pid == parent_msg_id:
            try:
                self.process_message(msg, cell, cell_index)
            except CellExecutionComplete:
                return True
        elif pid in self._earlier:
            old_cell, old_index = self._earlier[pid]
            if msg["msg_type"] in ("stream", "display_data", "execute_result", "error",
                                   "update_display_data", "clear_output"):
                self.late_outputs += 1
                try:
                    self.process_message(msg, old_cell, old_index)
                except CellExecutionComplete:
                    pass
        return False

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        assert self.kc is not None
        while True:
            msg = await self.kc.iopub_channel.get_msg(timeout=None)
            if self._route(msg, parent_msg_id, cell, cell_index):
                break
        # The kernel said idle; keep listening until it has been quiet for `grace` seconds.
        deadline = time.monotonic() + self.grace
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                msg = await self.kc.iopub_channel.get_msg(timeout=left)
            except Empty:
                break
            self._route(msg, parent_msg_id, cell, cell_index)
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                deadline = time.monotonic() + self.grace
        self._earlier[parent_msg_id] = (cell, cell_index)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--kernel", default="deno")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--grace", type=float, default=0.3)
    ap.add_argument("--startup-timeout", type=float, default=120)
    args = ap.parse_args()

    try:
        nb = nbformat.read(args.input, as_version=4)
    except Exception as e:  # noqa: BLE001 - report any parse failure in one line
        fail_setup(f"{args.input}: not a readable nbformat-4 notebook ({e})")

    client = GraceClient(
        nb,
        grace=args.grace,
        timeout=int(args.timeout),
        startup_timeout=int(args.startup_timeout),
        kernel_name=args.kernel,
        allow_errors=False,
        record_timing=False,
        iopub_timeout=max(10, int(args.grace * 10)),
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(args.input))}},
    )
    t0 = time.monotonic()
    report = None
    try:
        client.execute()
        report = {
            "ok": True,
            "cells": sum(1 for c in nb.cells if c.cell_type == "code"),
            "late_outputs": client.late_outputs,
            "seconds": round(time.monotonic() - t0, 2),
        }
    except CellExecutionError as e:
        report = {"ok": False, "kind": "error", "ename": e.ename, "evalue": e.evalue}
    except CellTimeoutError as e:
        report = {"ok": False, "kind": "timeout", "ename": "Timeout", "evalue": str(e).split("\n")[0]}
    except DeadKernelError as e:
        report = {"ok": False, "kind": "dead", "ename": "DeadKernel", "evalue": str(e)}
    except Exception as e:  # noqa: BLE001 - e.g. the kernel failed to start
        report = {"ok": False, "kind": "setup", "ename": type(e).__name__, "evalue": str(e)}
    if not report["ok"]:
        idx = client.current_index
        report["cell_index"] = idx
        report["seconds"] = round(time.monotonic() - t0, 2)
    try:
        nbformat.write(nb, args.output)
    except Exception as e:  # noqa: BLE001
        report["write_error"] = str(e)
    print(json.dumps(report))
    sys.exit(0 if report["ok"] else 1)


if __name__ == "__main__":
    main()
