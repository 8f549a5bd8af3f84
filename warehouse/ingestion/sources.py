"""Where log files come from: local paths or object-storage URLs, plain or compressed.

Files are opened through Arrow's filesystems (local, ``s3://``, ``gs://``, ``abfs://``,
``hdfs://``), so the same code streams a local file and an object in a bucket; gzip and zstd
are decompressed on the fly, chosen by the file's first bytes (else its suffix), and UTF-16 or
UTF-32 text (a byte order mark: PowerShell's and Excel's "Unicode text") is read as UTF-8. A
file's format comes from its content too: Parquet bytes named ``.jsonl`` are read as Parquet.

A file name that is not valid UTF-8 (a Latin-1 system's, an unzip's ``caf\\xe9.jsonl``) cannot be
stored as text: the file is listed under its name with the bad bytes written ``\\xNN``, to be
quarantined, and the others land.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
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
    reason: str = "unreadable"  # quarantined_files.reason when error is set


# Magic numbers: gzip (deflate), zstd, Parquet; byte order marks of UTF-32 (before UTF-16: FF FE 00 00
# starts both), UTF-16 and UTF-8.
_MAGIC_COMPRESSION = ((b"\x1f\x8b\x08", "gzip"), (b"\x28\xb5\x2f\xfd", "zstd"))
_TEXT_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"),
              (b"\xfe\xff", "utf-16"))
UTF8_BOM = b"\xef\xbb\xbf"


def shown_path(path: str) -> str:
    """``path`` as text that can be stored and printed: bytes of the name that are not UTF-8 (kept by
    Python as surrogates) written ``\\xNN``; credentials in a URL (``s3://user:secret@bucket``)
    and key-like query values replaced by ``***``.

    Example:
        >>> print(shown_path(os.fsdecode(b"land/caf\\xe9.jsonl")), shown_path("s3://me:secret@bucket/a.jsonl"))
        land/caf\\xe9.jsonl s3://***@bucket/a.jsonl
    """
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        path = os.fsencode(path).decode("utf-8", "backslashreplace")
    if "://" in path:
        path = _URL_USERINFO.sub(r"\1***@", path)
        path = _SECRET_QUERY.sub(lambda m: m.group(1) + "***", path)
    return path


_URL_USERINFO = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@?#]*@")
_SECRET_QUERY = re.compile(r"([?&](?:[^=&#]*(?:key|secret|token|password|passwd|pwd|signature|sig|credential|auth)"
                           r"[^=&#]*)=)[^&#]*", re.IGNORECASE)


def name_error(path: str) -> str | None:
    """Why a local file cannot be taken under its name (not valid UTF-8), or None."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return (f"the file name is not valid UTF-8 (its bytes shown as \\xNN: {shown_path(path)}); rename it "
                "(convmv -f latin1 -t utf8, or unzip -O CP437) and ingest it again")
    return None


def is_url(path: str) -> bool:
    return "://" in path and not path.startswith("file://")


def filesystem(path: str) -> tuple[pafs.FileSystem, str]:
    if is_url(path):
        try:
            return pafs.FileSystem.from_uri(path)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
            raise LogInputError(f"cannot open {shown_path(path)}: {_one_line(err)}") from None
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
                shown = shown_path(path)
                files.append(LogFile(shown, 0, None, f"cannot look at {shown}: {err.strerror or err}"))
                continue
            if os.path.isfile(path):
                bad_name = name_error(path)
                files.append(LogFile(shown_path(path), stat.st_size, stat.st_mtime_ns, bad_name,
                                     "bad_file_name" if bad_name else "unreadable"))
    return files


def list_log_files(landing: str | Path) -> list[LogFile]:
    """The log files of a landing folder or prefix, subfolders included (or the one file named),
    sorted by path. A file that cannot be looked at comes with its ``error``, to be quarantined.

    Example:
        >>> [f.path.rsplit("/", 1)[-1] for f in list_log_files("warehouse/sample_log")]
        ['search_chat_sample.jsonl']
    """
    if not is_url(str(landing)) and name_error(str(landing)) and os.path.isfile(landing):  # one file, named badly
        stat = os.stat(landing)
        return [LogFile(shown_path(str(landing)), stat.st_size, stat.st_mtime_ns, name_error(str(landing)),
                        "bad_file_name")]
    fs, root = filesystem(str(landing))
    try:
        info = fs.get_file_info(root)
    except OSError as err:  # an unreachable object store, a path that loops
        raise LogInputError(f"cannot list {shown_path(str(landing))}: {_one_line(err)}") from None
    if info.type == pafs.FileType.NotFound:
        if not is_url(str(landing)) and os.path.islink(root):
            return [LogFile(root, 0, None, f"cannot look at {root}: a dangling link or a link loop")]
        raise LogInputError(f"log path {shown_path(str(landing))} does not exist: set landing_dir in the config")
    if info.type == pafs.FileType.File:
        infos = [LogFile(info.path, info.size, info.mtime_ns)]
    elif not is_url(str(landing)):
        infos = _local_files(root)
    else:
        try:
            found = fs.get_file_info(pafs.FileSelector(root, recursive=True))
        except OSError as err:
            raise LogInputError(f"cannot list {shown_path(str(landing))}: {_one_line(err)}") from None
        infos = [LogFile(i.path, i.size, i.mtime_ns) for i in found
                 if i.type == pafs.FileType.File and not any(_hidden(p) for p in i.path[len(root):].split("/") if p)]
    prefix = "" if not is_url(str(landing)) else str(landing).split("://", 1)[0] + "://"
    files = sorted((LogFile(prefix + f.path, f.size, f.mtime_ns, f.error, f.reason) for f in infos
                    if is_log_file(f.path)), key=lambda f: f.path)
    if not files:
        raise LogInputError(f"no log files ({', '.join(FORMAT_SUFFIXES)}, optionally .gz or .zst) in "
                            f"{shown_path(str(landing))}")
    return files


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())[:500]


def compression_of(path: str, head: bytes) -> str | None:
    """gzip or zstd by the file's first bytes, else by its suffix (so that a file named .gz that
    is not gzip is reported as corrupt), else None.

    Example:
        >>> compression_of("a.jsonl", bytes.fromhex("28b52ffd")), compression_of("a.jsonl.gz", b"{}")
        ('zstd', 'gzip')
    """
    for magic, codec in _MAGIC_COMPRESSION:
        if head.startswith(magic):
            return codec
    return COMPRESSION.get(suffixes(path)[1])


def text_encoding(head: bytes) -> str | None:
    """utf-16 or utf-32 when the (decompressed) bytes start with that byte order mark, else None."""
    for bom, encoding in _TEXT_BOMS:
        if head.startswith(bom):
            return encoding
    return None


def as_utf8(data: bytes) -> bytes:
    """A whole file's (small, uncompressed) bytes as UTF-8: UTF-16 or UTF-32 with a byte order
    mark decoded (an undecodable unit becomes U+FFFD, rejecting its line), a UTF-8 one dropped.

    Example:
        >>> as_utf8('{"a": 1}'.encode("utf-16"))
        b'{"a": 1}'
    """
    encoding = text_encoding(data[:4])
    if encoding:
        return data.decode(encoding, errors="replace").encode("utf-8")
    return data[3:] if data.startswith(UTF8_BOM) else data


def _open(fs: pafs.FileSystem, where: str, path: str, decompress: bool) -> pa.NativeFile:
    raw = fs.open_input_file(where)  # random access (local files and object stores): the head is peeked
    if not decompress:
        return raw
    head = raw.read(4)
    raw.seek(0)
    codec = compression_of(path, head)
    stream = pa.CompressedInputStream(raw, codec) if codec else raw
    try:
        encoding = text_encoding(stream.read(4))
    except (OSError, pa.ArrowInvalid):
        encoding = None  # corrupt compression: reported when the stream is read
    if codec:  # a decompressing stream cannot go back: open it again
        stream.close()
        raw = fs.open_input_file(where)
        stream = pa.CompressedInputStream(raw, codec)
    else:
        raw.seek(0)
    return pa.transcoding_input_stream(stream, encoding, "utf-8") if encoding else stream


def open_binary(path: str, *, decompress: bool = True) -> pa.NativeFile:
    """A readable stream of the file's bytes, decompressed (by its first bytes, else its suffix)
    and UTF-16 or UTF-32 text (by its byte order mark) read as UTF-8, unless told not to."""
    fs, where = filesystem(path)
    try:
        return _open(fs, where, path, decompress)
    except (FileNotFoundError, OSError, pa.ArrowInvalid) as err:
        raise LogInputError(f"cannot read {shown_path(path)}: {_one_line(err)}") from None


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


def content_kind(head: bytes) -> str | None:
    """What the (decompressed, UTF-8) first bytes of a file say it is: parquet, jsonl (a JSON
    object or array first), or None (text that is not JSON: CSV, or garbage)."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.lstrip(b" \t\r\n").startswith((b"{", b"[")):
        return "jsonl"
    return None


def detect_format(path: str, head: bytes | None = None) -> str:
    """flat, openai, conversation, csv or parquet, from the content first and then the suffix, and
    the first JSON object (of ``head``, the file's first bytes as stored, when given).

    Parquet bytes are Parquet and a JSON object (or array) first makes JSON lines whatever the name
    says; other text is what its suffix says (a JSON-lines name with text that is not JSON: its
    lines are rejected one by one).
    A JSON-lines file is ``conversation`` when its first object has a ``conversation`` list (or
    Chatbot Arena's ``conversation_a``),
    ``openai`` when it has ``messages`` in ``request`` or ``choices`` in ``response``, else ``flat``.
    """
    if head is None or compression_of(path, head[:4]) or text_encoding(head[:4]):
        if head is not None and head.startswith(b"PAR1"):
            return "parquet"
        with open_binary(path) as stream:
            head = stream.read(_PEEK_BYTES)
    head = head[3:] if head.startswith(UTF8_BOM) else head
    kind = content_kind(head[:_PEEK_BYTES]) or FORMAT_SUFFIXES[suffixes(path)[0]]
    if kind != "jsonl":
        return kind
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
