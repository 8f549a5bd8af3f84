"""Where log files come from: local paths or object-storage URLs, plain or compressed.

Files are opened through Arrow's filesystems (local, ``s3://``, ``gs://``, ``abfs://``,
``hdfs://``), so the same code streams a local file and an object in a bucket; gzip and zstd
are decompressed on the fly, chosen by the file's suffix.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs

from warehouse.ingestion.errors import LogInputError

COMPRESSION = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}
FORMAT_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet"}
FORMATS = ("flat", "openai", "conversation", "csv", "parquet")
_PEEK_BYTES = 1 << 20
_LOCAL = pafs.LocalFileSystem()


@dataclass(frozen=True)
class LogFile:
    """One landing file: its path or URL, size in bytes as stored, and modification time; or, for
    a file that cannot even be looked at (a symlink loop, a dangling link), why (``error``)."""

    path: str
    size: int
    mtime_ns: int | None = None
    error: str | None = None


def is_url(path: str) -> bool:
    return "://" in path and not path.startswith("file://")


def filesystem(path: str) -> tuple[pafs.FileSystem, str]:
    if is_url(path):
        try:
            return pafs.FileSystem.from_uri(path)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
            raise LogInputError(f"cannot open {path}: {err}") from None
    return _LOCAL, os.path.abspath(path.removeprefix("file://"))  # no resolve(): a stat per part of the path


def suffixes(path: str) -> tuple[str, str]:
    """(suffix naming the content, compression suffix or '') of a file name."""
    name = path.rsplit("/", 1)[-1].lower()
    stem, _, last = name.rpartition(".")
    if f".{last}" in COMPRESSION:
        return "." + stem.rpartition(".")[2] if "." in stem else "", f".{last}"
    return f".{last}" if stem else "", ""


def is_log_file(path: str) -> bool:
    return suffixes(path)[0] in FORMAT_SUFFIXES


def _hidden(name: str) -> bool:
    return name.startswith((".", "_"))  # editors' and Spark's scratch files, ._ resource forks


def _local_files(root: str) -> list[LogFile]:
    """Log files under a local folder, subfolders included (hidden ones, starting with . or _,
    left out; symlinked folders not followed, so a link loop cannot recurse). A file that
    cannot be looked at (a symlink loop, a dangling link) comes with its error."""
    files = []
    for folder, subfolders, names in os.walk(root, followlinks=False):
        subfolders[:] = sorted(d for d in subfolders if not _hidden(d))
        for name in names:
            path = os.path.join(folder, name)
            if _hidden(name) or not is_log_file(path):
                continue
            try:
                stat = os.stat(path)
            except OSError as err:
                files.append(LogFile(path, 0, None, f"cannot look at {path}: {err.strerror or err}"))
                continue
            if os.path.isfile(path):
                files.append(LogFile(path, stat.st_size, stat.st_mtime_ns))
    return files


def list_log_files(landing: str | Path) -> list[LogFile]:
    """The log files of a landing folder or prefix, subfolders included (or the one file named),
    sorted by path. A file that cannot be looked at comes with its ``error``, to be quarantined.

    Example:
        >>> [f.path.rsplit("/", 1)[-1] for f in list_log_files("warehouse/sample_log")]
        ['search_chat_sample.jsonl']
    """
    fs, root = filesystem(str(landing))
    try:
        info = fs.get_file_info(root)
    except OSError as err:  # an unreachable object store, a path that loops
        raise LogInputError(f"cannot list {landing}: {_one_line(err)}") from None
    if info.type == pafs.FileType.NotFound:
        if not is_url(str(landing)) and os.path.islink(root):
            return [LogFile(root, 0, None, f"cannot look at {root}: a dangling link or a link loop")]
        raise LogInputError(f"log path {landing} does not exist: set landing_dir in the config")
    if info.type == pafs.FileType.File:
        infos = [LogFile(info.path, info.size, info.mtime_ns)]
    elif not is_url(str(landing)):
        infos = _local_files(root)
    else:
        try:
            found = fs.get_file_info(pafs.FileSelector(root, recursive=True))
        except OSError as err:
            raise LogInputError(f"cannot list {landing}: {_one_line(err)}") from None
        infos = [LogFile(i.path, i.size, i.mtime_ns) for i in found
                 if i.type == pafs.FileType.File and not any(_hidden(p) for p in i.path[len(root):].split("/") if p)]
    prefix = "" if not is_url(str(landing)) else str(landing).split("://", 1)[0] + "://"
    files = sorted((LogFile(prefix + f.path, f.size, f.mtime_ns, f.error) for f in infos if is_log_file(f.path)),
                   key=lambda f: f.path)
    if not files:
        raise LogInputError(f"no log files ({', '.join(FORMAT_SUFFIXES)}, optionally .gz or .zst) in {landing}")
    return files


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())[:500]


def open_binary(path: str, *, decompress: bool = True) -> pa.NativeFile:
    """A readable stream of the file's bytes, decompressed by suffix unless told not to."""
    fs, where = filesystem(path)
    compression = COMPRESSION.get(suffixes(path)[1]) if decompress else None
    try:
        return fs.open_input_stream(where, compression=compression)
    except (FileNotFoundError, OSError, pa.ArrowInvalid) as err:
        raise LogInputError(f"cannot read {path}: {_one_line(err)}") from None


def sha256(path: str) -> str:
    """sha256 of the file as stored (before decompression), streamed."""
    if not is_url(path):  # read by Python directly: a tenth of Arrow's cost for a small file
        try:
            with open(path.removeprefix("file://"), "rb") as local:
                return hashlib.file_digest(local, "sha256").hexdigest()
        except OSError as err:
            raise LogInputError(f"cannot read {path}: {_one_line(err)}") from None
    digest = hashlib.sha256()
    with open_binary(path, decompress=False) as stream:
        while block := stream.read(8 << 20):
            digest.update(block)
    return digest.hexdigest()


def read_small(path: str) -> bytes:
    """The bytes of a small local file as stored, read once (its sha256, format and lines come
    from them: for 10,000 one-line files, opening each once is most of the per-file cost)."""
    try:
        with open(path.removeprefix("file://"), "rb") as local:
            return local.read()
    except OSError as err:
        raise LogInputError(f"cannot read {path}: {_one_line(err)}") from None


def detect_format(path: str, head: bytes | None = None) -> str:
    """flat, openai, conversation, csv or parquet, from the suffix and the first JSON object
    (of ``head``, the file's first bytes decompressed, when given).

    A JSON-lines file is ``conversation`` when its first object has a ``conversation`` list (or
    Chatbot Arena's ``conversation_a``),
    ``openai`` when it has ``messages`` in ``request`` or ``choices`` in ``response``, else ``flat``.
    """
    suffix = suffixes(path)[0]
    if FORMAT_SUFFIXES.get(suffix) != "jsonl":
        return FORMAT_SUFFIXES[suffix]
    if head is None:
        with open_binary(path) as stream:
            head = stream.read(_PEEK_BYTES)
    for raw in head[:_PEEK_BYTES].split(b"\n"):
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if isinstance(record, dict):
            if isinstance(record.get("conversation"), list) or isinstance(record.get("conversation_a"), list):
                return "conversation"
            request, response = record.get("request"), record.get("response")
            if (isinstance(request, dict) and "messages" in request) or (
                isinstance(response, dict) and "choices" in response
            ):
                return "openai"
            return "flat"
    return "flat"
