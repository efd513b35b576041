"""Moving bytes over presigned URLs: streaming an upload's PUT, and downloads checked against
the size and SHA-256 the server listed. Plain HTTP (urllib); the URLs need no credentials."""

import hashlib
import mimetypes
import os
import tempfile
import urllib.error
import urllib.request

from rendertrust import errors

_CHUNK = 1 << 16
# Headers every HTTP client sets itself.
_CLIENT_SET_HEADERS = {"host", "content-length", "connection", "expect"}


def size_and_sha256(path):
    """(size in bytes, lowercase hex SHA-256) of a file, read once in chunks."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def guess_content_type(path):
    return mimetypes.guess_type(path)[0] or "application/octet-stream"


def put_file(url, path, size, headers, timeout):
    """Streams the file to a presigned PUT URL with the headers the server named (never the whole file in memory)."""
    request_headers = {name: value for name, value in headers.items() if name.lower() not in _CLIENT_SET_HEADERS}
    request_headers["Content-Length"] = str(size)
    with open(path, "rb") as body:
        request = urllib.request.Request(url, data=body, method="PUT", headers=request_headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
        except urllib.error.HTTPError as e:
            reason = "PAYLOAD_TOO_LARGE" if e.code == 413 else "UPLOAD_FAILED"
            raise errors.UnavailableError(reason, "UNAVAILABLE", f"the upload PUT answered HTTP {e.code}") from e
        except OSError as e:
            raise errors.UnavailableError("UPLOAD_FAILED", "UNAVAILABLE", str(e)) from e


def download(url, target, timeout, expected_size=None, expected_sha256=None, what="download"):
    """Streams a presigned GET to ``target`` (written whole or not at all); checks size and SHA-256
    when given and raises OutputMismatchError otherwise. Returns the target path."""
    directory = os.path.dirname(os.path.abspath(target)) or "."
    handle, partial = tempfile.mkstemp(prefix=".download-", suffix=".part", dir=directory)
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        if expected_size is not None and size != int(expected_size):
            raise errors.OutputMismatchError(f"{what}: {size} bytes, the server listed {expected_size}",
                                             {"expected_size": str(expected_size), "actual_size": str(size)})
        if expected_sha256 and digest.hexdigest() != expected_sha256.lower():
            raise errors.OutputMismatchError(
                f"{what}: SHA-256 is {digest.hexdigest()}, the server listed {expected_sha256}",
                {"expected_sha256": expected_sha256, "actual_sha256": digest.hexdigest()})
        os.replace(partial, target)
    except urllib.error.HTTPError as e:
        raise errors.UnavailableError("RESULT_DOWNLOAD_FAILED", "UNAVAILABLE",
                                      f"{what} answered HTTP {e.code}") from e
    except errors.RenderTrustError:
        raise
    except OSError as e:
        raise errors.UnavailableError("RESULT_DOWNLOAD_FAILED", "UNAVAILABLE", str(e)) from e
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return target
