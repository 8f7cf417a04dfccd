"""The zip container of PyTorch's checkpoints: writing records aligned as torch aligns them,
atomic writes to paths, and reading records only after checking what the archive claims
against what the file holds.

torch.save writes, under one top-level folder (the file's stem, or ``archive`` for a buffer):
``data.pkl``, ``.format_version``, ``.storage_alignment``, ``byteorder``, ``data/<key>`` for
each storage, ``version`` and ``.data/serialization_id``. Records are stored (not compressed)
and each one's data starts at a multiple of 64 bytes (miniz pads the local header's extra field,
id ``FB``), so that ``torch.load(mmap=True)`` can map storages straight from the file.

``zipfile`` is imported by the methods that use it: at ``import retrograd`` it would cost ~4 ms.
"""
from __future__ import annotations

import os
import struct
import time

import numpy as np

ALIGNMENT = 64
_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")  # PK\3\4 ... name length, extra length
_LOCAL_SIG = 0x04034B50
_MINIZ_HINT = (" This is an internal miniz error. If you are seeing this error, there is a high "
               "likelihood that your checkpoint file is corrupted. This can happen if the "
               "checkpoint was not saved properly, was transferred incorrectly, or the file was "
               "modified after saving.")


def corrupted(what: str) -> RuntimeError:
    """torch's error for an archive it cannot read (PytorchStreamReader's wording)."""
    return RuntimeError(f"PytorchStreamReader failed {what}.{_MINIZ_HINT}")


# -- writing -----------------------------------------------------------------------------------
class ZipWriter:
    """Records under ``archive_name/``, each one's data aligned to 64 bytes in the file."""

    def __init__(self, fileobj, archive_name: str):
        import zipfile
        self.zf = zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
        self.prefix = archive_name + "/"

    def write_record(self, name: str, data) -> None:
        import zipfile
        view = memoryview(data).cast("B")
        zinfo = zipfile.ZipInfo(self.prefix + name, date_time=(1980, 1, 1, 0, 0, 0))
        zinfo.compress_type = zipfile.ZIP_STORED
        zinfo.file_size = view.nbytes
        zinfo.external_attr = 0o644 << 16
        # Where the data will start: the local header (30 bytes), the name, our extra field
        # (4 bytes of id and length, then padding), and the zip64 block zipfile appends for
        # records that may exceed 4 GiB (the same test as zipfile's _open_to_write).
        zip64 = zinfo.file_size * 1.05 > zipfile.ZIP64_LIMIT
        name_len = len(zinfo.filename.encode("ascii" if zinfo.filename.isascii() else "utf-8"))
        start = self.zf.fp.tell() + 30 + name_len + 4 + (20 if zip64 else 0)
        pad = -start % ALIGNMENT
        zinfo.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad  # id b"FB", as miniz writes
        with self.zf.open(zinfo, "w") as out:
            out.write(view)

    def close(self) -> None:
        self.zf.close()

    def abandon(self) -> None:
        """Stop without writing the central directory (the write failed part-way)."""
        self.zf.fp = None


def serialization_id() -> str:
    """40 decimal digits, like torch's (a random part and the time in nanoseconds)."""
    return f"{int.from_bytes(os.urandom(8), 'little'):020d}{time.time_ns() % 10 ** 20:020d}"


class AtomicFile:
    """A file written next to ``path`` and moved over it only once complete.

    ``os.replace`` is atomic on POSIX and Windows, so readers see the old file or the whole new
    one, never a torn write; on any error the temporary file is removed and the old file stays.
    The temporary file is created with mode 0o666 filtered by the umask, like ``open(path, "wb")``.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        folder, base = os.path.split(os.path.abspath(self.path))
        if not os.path.isdir(folder):
            raise RuntimeError(f"Parent directory {os.path.dirname(self.path) or folder} does "
                               "not exist.")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        while True:
            self.tmp = os.path.join(folder, f".{base}.{os.urandom(6).hex()}.tmp")
            try:
                fd = os.open(self.tmp, flags, 0o666)
                break
            except FileExistsError:
                continue
        self.file = os.fdopen(fd, "wb")

    def commit(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.tmp, self.path)
        try:  # make the rename itself durable; not every platform can open a folder
            dfd = os.open(os.path.dirname(os.path.abspath(self.path)), os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dfd)
        except OSError:
            pass
        finally:
            os.close(dfd)

    def abort(self) -> None:
        try:
            self.file.close()
        finally:
            try:
                os.unlink(self.tmp)
            except FileNotFoundError:
                pass


# -- reading -----------------------------------------------------------------------------------
def is_zipfile(f) -> bool:
    """torch's test: the stream starts with a local file header signature."""
    start = f.tell()
    magic = f.read(4)
    f.seek(start)
    return magic == b"PK\x03\x04"


class ZipReader:
    """Checked access to the records of a checkpoint archive held in a seekable binary file."""

    def __init__(self, f):
        import zipfile
        self.f = f
        f.seek(0, os.SEEK_END)
        self.file_size = f.tell()
        f.seek(0)
        try:
            self.zf = zipfile.ZipFile(f)
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError,
                EOFError, OSError, struct.error):
            raise corrupted("reading zip archive: failed finding central directory") from None
        if not infos:
            raise corrupted("reading zip archive: failed finding central directory")
        first = infos[0].filename
        if "/" not in first:
            raise RuntimeError(f"file in archive is not in a subdirectory: {first}")
        self.prefix = first[:first.index("/") + 1]
        self.infos = {i.filename: i for i in infos}
        if not self.has_record("version") and not self.has_record(".data/version"):
            raise RuntimeError('Expected hasRecord("version") to be true, but got false.  (Could '
                               "this error message be improved?  If so, please report an "
                               "enhancement request to PyTorch.)")

    def has_record(self, name: str) -> bool:
        return self.prefix + name in self.infos

    def _info(self, name: str):
        info = self.infos.get(self.prefix + name)
        if info is None:
            raise corrupted(f"locating file {name}: file not found")
        return info

    def _data_offset(self, name: str, info) -> int:
        """Where the record's data starts, from its local header, checked against the file."""
        h = info.header_offset
        if h < 0 or h + 30 > self.file_size:
            raise corrupted(f"reading file {name}: invalid header or archive is corrupted")
        self.f.seek(h)
        head = self.f.read(30)
        fields = _LOCAL_HEADER.unpack(head) if len(head) == 30 else None
        if fields is None or fields[0] != _LOCAL_SIG:
            raise corrupted(f"reading file {name}: invalid header or archive is corrupted")
        start = h + 30 + fields[9] + fields[10]
        if start + info.compress_size > self.file_size:
            raise corrupted(f"reading file {name}: invalid header or archive is corrupted")
        return start

    def _check_sizes(self, name: str, info) -> None:
        """Refuse sizes the file cannot hold before anything is allocated for them."""
        import zipfile
        self._data_offset(name, info)
        if info.compress_type == zipfile.ZIP_STORED:
            ok = info.file_size == info.compress_size
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            ok = info.file_size <= 1032 * info.compress_size + 64  # deflate's best ratio
        else:
            ok = False
        if not ok:
            raise corrupted(f"reading file {name}: invalid header or archive is corrupted")

    def get_record(self, name: str) -> bytes:
        info = self._info(name)
        self._check_sizes(name, info)
        return self._read(name, info, info.file_size).tobytes()

    def record_size(self, name: str) -> int:
        return self._info(name).file_size

    def _read(self, name: str, info, nbytes: int) -> np.ndarray:
        import zipfile
        out = np.empty(nbytes, dtype=np.uint8)
        mv = memoryview(out)
        try:
            if info.compress_type == zipfile.ZIP_STORED:
                self.f.seek(self._data_offset(name, info))
                src = self.f
            else:
                src = self.zf.open(info)
            got = 0
            while got < nbytes:
                n = src.readinto(mv[got:]) if hasattr(src, "readinto") else None
                if n is None:
                    chunk = src.read(min(nbytes - got, 1 << 24))
                    n = len(chunk)
                    mv[got:got + n] = chunk
                if not n:
                    break
                got += n
        except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, ValueError) as e:
            raise corrupted(f"reading file {name}: {e}") from None
        if got != nbytes:
            raise corrupted(f"reading file {name}: invalid header or archive is corrupted")
        return out

    def read_storage(self, name: str, nbytes: int) -> np.ndarray:
        """The record as a fresh uint8 array of exactly ``nbytes`` (torch's size check first)."""
        info = self._info(name)
        if info.file_size != nbytes:
            raise RuntimeError(
                f"record size ({info.file_size} bytes) does not match expected size ({nbytes} "
                f"bytes = {nbytes} elements * 1 bytes/element) for dtype Byte")
        self._check_sizes(name, info)
        return self._read(name, info, nbytes)

    def map_storage(self, name: str, nbytes: int, mapping) -> np.ndarray:
        """The record as a uint8 array over ``mapping`` (an mmap of the whole file)."""
        import zipfile
        info = self._info(name)
        if info.file_size != nbytes:
            raise RuntimeError(
                f"record size ({info.file_size} bytes) does not match expected size ({nbytes} "
                f"bytes = {nbytes} elements * 1 bytes/element) for dtype Byte")
        self._check_sizes(name, info)
        if info.compress_type != zipfile.ZIP_STORED:
            raise RuntimeError(f"mmap cannot map the compressed record {name}; load it with "
                               "mmap=False")
        # Its own array per storage (base: the mmap object), so storages stay distinct.
        return np.frombuffer(mapping, dtype=np.uint8, count=nbytes,
                             offset=self._data_offset(name, info))
