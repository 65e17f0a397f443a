"""Downloads over HTTP with timeouts and retries, failing as one sentence: small texts (checksums.txt) and
release archives, streamed to disk (or only hashed) so a large file never sits in memory."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError
from urllib3.util.retry import Retry

from common.errors import UserError

# Connect and read timeouts in seconds; a checksums.txt is a few KB, so a slow server is a broken one.
DEFAULT_TIMEOUT = 10.0
# Retries on connection errors, read errors and 5xx/429 answers, with exponential backoff.
DEFAULT_RETRIES = 3
_RETRY_STATUSES = (429, 500, 502, 503, 504)


def _session(retries: int) -> requests.Session:
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=0.5,
        status_forcelist=_RETRY_STATUSES,
        allowed_methods=frozenset({"GET"}),
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _timed_out(exc: requests.RequestException) -> bool:
    """requests reports a read timeout that exhausted the retries as a ConnectionError; look inside."""
    if isinstance(exc, requests.Timeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(reason, NewConnectionError):  # a refused connection; urllib3 files it under connect timeouts
        return False
    return isinstance(reason, ConnectTimeoutError | ReadTimeoutError)


def http_status(url: str, *, what: str, timeout: float = DEFAULT_TIMEOUT, retries: int = DEFAULT_RETRIES) -> int:
    """The status a GET of ``url`` answers (the body is not read): 200, 404, ...; unreachable is a UserError."""
    with _session(retries) as session:
        try:
            with session.get(url, stream=True, timeout=(timeout, timeout)) as response:
                return int(response.status_code)
        except requests.RequestException as exc:
            raise UserError(_failure(exc, what, url, timeout, retries + 1, "")) from None


def fetch_text(
    url: str, *, what: str, timeout: float = DEFAULT_TIMEOUT, retries: int = DEFAULT_RETRIES, hint: str = ""
) -> str:
    """GET ``url`` as text; any failure is a UserError naming ``what`` was fetched and why it failed."""
    suffix = f"; {hint}" if hint else ""
    with _session(retries) as session:
        try:
            response = session.get(url, timeout=(timeout, timeout))
        except requests.RequestException as exc:
            tries = f"tried {retries + 1} times"
            if _timed_out(exc):
                raise UserError(f"{what} at {url} did not answer within {timeout:g}s ({tries}){suffix}") from None
            raise UserError(f"cannot download {what} from {url}: unreachable ({tries}){suffix}") from None
    if response.status_code != 200:
        raise UserError(f"cannot download {what} from {url}: HTTP {response.status_code}{suffix}")
    return response.text


def _failure(exc: requests.RequestException, what: str, url: str, timeout: float, tries: int, suffix: str) -> str:
    if _timed_out(exc):
        return f"{what} at {url} did not answer within {timeout:g}s (tried {tries} times){suffix}"
    return f"cannot download {what} from {url}: unreachable or cut off (tried {tries} times){suffix}"


def download(
    url: str,
    dest: Path | None,
    *,
    what: str,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    hint: str = "",
) -> str:
    """Stream ``url`` into ``dest`` (or only hash it, with None) and return its sha256.

    urllib3 retries failed connections and 5xx answers itself; a transfer cut off midway starts again, up to
    ``retries`` more times. The file appears at ``dest`` only when complete (written to ``<dest>.part`` first).
    """
    suffix = f"; {hint}" if hint else ""
    part = dest.with_name(dest.name + ".part") if dest is not None else None
    if part is not None:
        part.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(retries + 1):
        digest = hashlib.sha256()
        answered = False
        try:
            with _session(retries) as session, session.get(url, stream=True, timeout=(timeout, timeout)) as response:
                answered = True
                if response.status_code != 200:
                    raise UserError(f"cannot download {what} from {url}: HTTP {response.status_code}{suffix}")
                out = part.open("wb") if part is not None else None
                try:
                    for chunk in response.iter_content(1 << 20):
                        digest.update(chunk)
                        if out is not None:
                            out.write(chunk)
                finally:
                    if out is not None:
                        out.close()
            if part is not None and dest is not None:
                part.replace(dest)
            return digest.hexdigest()
        except requests.RequestException as exc:
            if part is not None:
                part.unlink(missing_ok=True)
            if not answered or attempt == retries:  # urllib3 already retried the connection itself
                raise UserError(_failure(exc, what, url, timeout, retries + 1, suffix)) from None
            time.sleep(min(0.5 * 2**attempt, 4.0))
    raise AssertionError("unreachable")
