"""mitmdump addon: answer a fraction of S3 requests with an S3 error instead of forwarding them.

Runs inside mitmproxy's own venv (``mitmdump -s soak/faults/mitm_addon.py``), so it imports nothing from this
project. The rate comes from a small JSON control file (``{"rate": 0.05, "seed": 7}``) re-read whenever it
changes, so the fault layer can switch injection off without restarting the proxy. Each injected answer is
appended to ``s3_errors_log`` as one JSON line, which is how injected faults get counted.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from typing import Any

from mitmproxy import ctx, http

# Taken in turn so every kind shows up: (status, S3 code, message, Retry-After seconds or None). 408 and 429 are what
# throttling S3-compatible providers answer, with a Retry-After header the client should honour.
ERRORS = (
    (503, "SlowDown", "Please reduce your request rate.", None),
    (500, "InternalError", "We encountered an internal error. Please try again.", None),
    (429, "TooManyRequests", "Too many requests, please slow down.", 1),
    (408, "RequestTimeout", "Your socket connection to the server was not read from or written to in time.", 1),
)


class S3Errors:
    def __init__(self) -> None:
        self.rate = 0.0
        self.rng = random.Random()
        self.count = 0
        self._stamp: tuple[int, int] = (-1, -1)

    def load(self, loader: Any) -> None:
        loader.add_option("s3_errors_control", str, "", "JSON file with the injection rate and seed")
        loader.add_option("s3_errors_log", str, "", "JSON-lines file, one line per injected error")

    def _refresh(self) -> None:
        path = ctx.options.s3_errors_control
        try:
            st = os.stat(path)
        except OSError:
            return
        # The control file is replaced atomically, so a new inode (or mtime) means new settings.
        stamp = (st.st_ino, st.st_mtime_ns)
        if stamp == self._stamp:
            return
        self._stamp = stamp
        with open(path) as fh:
            control = json.load(fh)
        self.rate = float(control.get("rate", 0.0))
        if "seed" in control:
            self.rng.seed(int(control["seed"]))

    def request(self, flow: http.HTTPFlow) -> None:
        self._refresh()
        if self.rate <= 0 or self.rng.random() >= self.rate:
            return
        status, code, message, retry_after = ERRORS[self.count % len(ERRORS)]
        self.count += 1
        request_id = uuid.uuid4().hex[:16].upper()
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{message}</Message>"
            f"<Resource>{flow.request.path}</Resource><RequestId>{request_id}</RequestId></Error>"
        )
        headers = {"Content-Type": "application/xml", "x-amz-request-id": request_id}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        flow.response = http.Response.make(status, body, headers)
        record = {
            "time": time.time(),
            "status": status,
            "code": code,
            "method": flow.request.method,
            "path": flow.request.path.split("?")[0],
        }
        with open(ctx.options.s3_errors_log, "a") as fh:
            fh.write(json.dumps(record) + "\n")


addons = [S3Errors()]
