"""Files sent to the server: streamed to disk with a limit, zips opened safely.

What a hospital uploads (claim files, a zip of them, its reference files) is
hostile until proven otherwise. This module is what every upload goes through:

- ``UploadRoute``: the route class of the routers that accept files (pages and
  API). The request body is parsed as it arrives and the bytes of the files are
  counted: past ``AppContext.max_upload_bytes`` the reading stops and the
  request is refused (413) naming the file that crossed the limit, so a huge
  body is never spooled whole, not even to a temporary file.
- ``save_uploads``: copies each upload into a folder in chunks (never whole in
  memory), again counting against the limit (the function is also called
  without HTTP), with names reduced to a safe base name.
- ``extract_zip``: opens a zip without trusting it. A member whose name holds
  ``..``, an absolute path or a drive letter is refused; so are too many
  members, a member or a total whose declared size is over the limits, and a
  member compressed more than ``max_ratio`` times (a zip bomb is refused from its
  declared sizes, before anything is decompressed). While extracting, the bytes
  written are counted again and the extraction stops at the limit, since a
  declared size may lie.

Every refusal is a ``ConfigError`` whose message (Vietnamese / English) names
the file, and the member inside a zip.
"""

from __future__ import annotations

import re
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from giamdinh.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Generator, Sequence

    from starlette.datastructures import FormData, Headers, UploadFile
    from starlette.responses import Response

#: Bytes read or written at once.
CHUNK = 1024 * 1024
#: Most files in one request.
MAX_FILES = 500
#: Longest file name kept (characters).
MAX_NAME = 180
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MB = 1024 * 1024


def _mb(size: int) -> str:
    """Return a size as people read it (``256 MB``, ``1,5 MB``, ``12 KB``)."""
    if size < 1024:  # noqa: PLR2004
        return f"{size} B"
    if size < MB:
        return f"{round(size / 1024)} KB"
    value = size / MB
    text = f"{value:.0f}" if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")  # noqa: PLR2004
    return f"{text.replace('.', ',')} MB"


def too_large_message(name: str, limit: int) -> str:
    """Return the refusal of an upload over ``limit`` bytes, naming ``name``."""
    return (
        f"{name}: tải lên vượt quá giới hạn {_mb(limit)} mỗi lần gửi; hãy chia nhỏ "
        f"và gửi nhiều lần / {name}: the upload exceeds the limit of {_mb(limit)} "
        "per request; split it and send it in parts"
    )


# ------------------------------------------------------------------ HTTP side


class _LimitedParser(MultiPartParser):
    """The multipart parser of Starlette, counting the bytes of the files."""

    def __init__(
        self,
        headers: Headers,
        stream: Any,
        *,
        limit: int,
        max_files: int | float,
        max_fields: int | float,
        max_part_size: int,
    ) -> None:
        super().__init__(
            headers,
            stream,
            max_files=max_files,
            max_fields=max_fields,
            max_part_size=max_part_size,
        )
        self.limit = limit
        self.received = 0

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        """Count a file's bytes; stop the request past the limit."""
        upload = self._current_part.file
        if upload is not None:
            self.received += end - start
            if self.received > self.limit:
                name = safe_name(upload.filename or "") or "?"
                raise HTTPException(413, detail=too_large_message(name, self.limit))
        super().on_part_data(data, start, end)


class _FormAwaitable:
    """``await request.form()`` and ``async with request.form()``, as Starlette."""

    def __init__(self, form: Coroutine[Any, Any, FormData]) -> None:
        self.form = form
        self.entered: FormData | None = None

    def __await__(self) -> Generator[Any, None, FormData]:
        return self.form.__await__()

    async def __aenter__(self) -> FormData:
        self.entered = await self.form
        return self.entered

    async def __aexit__(self, *args: object) -> None:
        if self.entered is not None:
            await self.entered.close()


class LimitedRequest(Request):
    """A request whose multipart form stops at ``limit`` bytes of files."""

    def __init__(self, request: Request, *, limit: int) -> None:
        super().__init__(request.scope, request.receive)
        self.limit = limit
        self.parsed: FormData | None = None

    def form(
        self,
        *,
        max_files: int | float = MAX_FILES,
        max_fields: int | float = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> _FormAwaitable:
        """Return the form, parsed once, the files counted against the limit."""
        return _FormAwaitable(
            self._limited(
                max_files=min(max_files, MAX_FILES),
                max_fields=max_fields,
                max_part_size=max_part_size,
            )
        )

    async def _limited(
        self, *, max_files: int | float, max_fields: int | float, max_part_size: int
    ) -> FormData:
        if self.parsed is not None:
            return self.parsed
        kind = self.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if kind != "multipart/form-data":
            self.parsed = await super().form(
                max_files=max_files, max_fields=max_fields, max_part_size=max_part_size
            )
            return self.parsed
        parser = _LimitedParser(
            self.headers,
            self.stream(),
            limit=self.limit,
            max_files=max_files,
            max_fields=max_fields,
            max_part_size=max_part_size,
        )
        try:
            self.parsed = await parser.parse()
        except MultiPartException as exc:
            raise HTTPException(400, detail=exc.message) from exc
        return self.parsed

    async def close_uploads(self) -> None:
        """Close the temporary files of the form."""
        if self.parsed is not None:
            await self.parsed.close()


class UploadRoute(APIRoute):
    """A route whose uploads are counted as they arrive (see ``LimitedRequest``).

    The limit is ``max_upload_bytes`` of the application's context
    (``app.state.context``), read on every request.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler so that it reads a ``LimitedRequest``."""
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            limit = int(request.app.state.context.max_upload_bytes)
            wrapped = LimitedRequest(request, limit=limit)
            try:
                return await handler(wrapped)
            finally:
                await wrapped.close_uploads()

        return limited


# ------------------------------------------------------------------ disk side


@dataclass(frozen=True, slots=True)
class Upload:
    """A file sent by a user: its name as given and a readable binary stream."""

    name: str
    stream: BinaryIO


@dataclass(frozen=True, slots=True, kw_only=True)
class Saved:
    """A file written to disk: its safe name, where, how big."""

    name: str
    path: Path
    size: int


def safe_name(name: str) -> str:
    r"""Return the base name of ``name`` as a user's system may write it, or ``""``.

    Folders (``/`` and ``\\``), a drive letter and control characters are dropped;
    ``.`` and ``..`` give ``""``.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = _DRIVE.sub("", base)
    base = _CONTROL.sub("", base).strip()
    if base in {"", ".", ".."}:
        return ""
    if len(base) > MAX_NAME:
        stem, dot, suffix = base.rpartition(".")
        base = (
            stem[: MAX_NAME - len(suffix) - 1] + dot + suffix
            if dot and len(suffix) < 10  # noqa: PLR2004
            else base[:MAX_NAME]
        )
    return base


def _unique(name: str, taken: set[str]) -> str:
    """Return ``name``, or ``name (2)``… when a file of that name is already there."""
    if name.lower() not in taken:
        taken.add(name.lower())
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    n = 2
    while True:
        candidate = f"{stem} ({n}){dot}{suffix}"
        if candidate.lower() not in taken:
            taken.add(candidate.lower())
            return candidate
        n += 1


def _write_counted(source: IO[bytes], out: IO[bytes], allowed: int) -> int | None:
    """Copy ``source`` to ``out`` in chunks; ``None`` as soon as past ``allowed``."""
    written = 0
    while chunk := source.read(CHUNK):
        written += len(chunk)
        if written > allowed:
            return None
        out.write(chunk)
    return written


def copy_limited(source: BinaryIO, target: Path, *, limit: int, name: str) -> int:
    """Copy ``source`` to ``target`` in chunks; refuse past ``limit`` bytes.

    Returns:
        The bytes written.

    Raises:
        ConfigError: more than ``limit`` bytes (the partial file is removed).
    """
    try:
        with target.open("xb") as out:
            written = _write_counted(source, out, limit)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    if written is None:
        target.unlink(missing_ok=True)
        raise ConfigError(too_large_message(name, limit))
    return written


def save_uploads(
    uploads: Sequence[Upload],
    folder: Path,
    *,
    limit: int,
    suffixes: frozenset[str] | None,
) -> list[Saved]:
    """Write ``uploads`` into ``folder``, at most ``limit`` bytes in all.

    Args:
        uploads: the files as sent; one without a name (an empty file input) is
            left out.
        folder: where to write them (created).
        limit: bytes of all the files together (``AppContext.max_upload_bytes``).
        suffixes: the accepted extensions, lower case with the dot (``.xml``);
            ``None`` accepts any name.

    Returns:
        The files written, in the order sent; a second file of the same name is
        saved as ``name (2).ext``.

    Raises:
        ConfigError: no file, a name that is empty or without an accepted
            extension, or more than ``limit`` bytes (the message names the file).
    """
    folder.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    saved: list[Saved] = []
    left = limit
    for upload in uploads:
        if not upload.name.strip():
            continue
        name = safe_name(upload.name)
        if not name:
            shown = upload.name[:MAX_NAME]
            msg = f"{shown}: tên tệp không hợp lệ / {shown}: not a valid file name"
            raise ConfigError(msg)
        if suffixes is not None and PurePosixPath(name).suffix.lower() not in suffixes:
            accepted = ", ".join(sorted(suffixes))
            msg = (
                f"{name}: không nhận loại tệp này (chỉ {accepted}) / {name}: this "
                f"kind of file is not accepted (only {accepted})"
            )
            raise ConfigError(msg)
        name = _unique(name, taken)
        path = folder / name
        try:
            size = copy_limited(upload.stream, path, limit=left, name=name)
        except ConfigError:
            raise ConfigError(too_large_message(name, limit)) from None
        left -= size
        saved.append(Saved(name=name, path=path, size=size))
    if not saved:
        msg = "chưa chọn tệp nào / no file was chosen"
        raise ConfigError(msg)
    return saved


def save_form_files(
    uploads: Sequence[UploadFile | str], folder: Path, limit: int
) -> list[Path]:
    """Write the files of a case form (answer, appeal) to ``folder``, each by name.

    Unlike ``save_uploads`` no file is needed (an answer may be a note alone) and
    ``limit`` bounds each file. A browser sends an empty file field as an empty
    text part: it is skipped.

    Raises:
        ConfigError: a file is larger than ``limit``.
    """
    paths: list[Path] = []
    for number, upload in enumerate(uploads):
        if isinstance(upload, str) or not upload.filename:
            continue
        name = Path(upload.filename.replace("\\", "/")).name.strip()[-200:]
        if name in {"", ".", ".."}:
            name = f"tep-{number + 1}"
        target = folder / str(number) / name
        target.parent.mkdir(parents=True)
        size = 0
        with target.open("wb") as out:
            while chunk := upload.file.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    msg = (
                        f"{name}: quá giới hạn {limit:,} bytes / larger than the "
                        f"{limit:,}-byte limit"
                    )
                    raise ConfigError(msg)
                out.write(chunk)
        paths.append(target)
    return paths


# --------------------------------------------------------------------- zips


@dataclass(frozen=True, slots=True, kw_only=True)
class ZipLimits:
    """How much a zip may hold.

    Attributes:
        max_members: entries of the zip (folders included).
        max_member_bytes: uncompressed size of one member.
        max_total_bytes: uncompressed size of all the members extracted.
        max_ratio: uncompressed / compressed size of one member (XML compresses
            10-20 times; a run of zeros 1000 times).
        ratio_from: members smaller than this are not held to ``max_ratio``.
    """

    max_members: int = 5000
    max_member_bytes: int = 256 * MB
    max_total_bytes: int = 1024 * MB
    max_ratio: int = 100
    ratio_from: int = MB


@dataclass(frozen=True, slots=True, kw_only=True)
class Extracted:
    """What came out of a zip: the files kept and the members left aside."""

    files: list[Saved] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)
    """``(member, reason in Vietnamese, reason in English)``."""


def _refuse(zip_name: str, member: str | None, vi: str, en: str) -> ConfigError:
    where = f"{zip_name}: {member}" if member else zip_name
    return ConfigError(f"{where}: {vi} / {where}: {en}")


def member_parts(zip_name: str, member: str) -> tuple[str, ...]:
    """Return the folders and name of a member, refusing an unsafe name.

    Raises:
        ConfigError: ``..``, an absolute path, a drive letter or a control
            character in the name.
    """
    text = member.replace("\\", "/")
    if (
        text.startswith("/")
        or _DRIVE.match(text)
        or _CONTROL.search(text)
        or any(part == ".." for part in text.split("/"))
    ):
        raise _refuse(
            zip_name,
            member,
            "tên tệp trong zip không an toàn (đường dẫn tuyệt đối, ổ đĩa hoặc '..'); "
            "không mở tệp zip này",
            "unsafe name inside the zip (absolute path, drive letter or '..'); the "
            "zip is not opened",
        )
    return tuple(p for p in text.split("/") if p not in {"", "."})


def _is_link(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return info.create_system == 3 and stat.S_ISLNK(mode)  # noqa: PLR2004 - Unix


def _check_declared(
    zip_name: str, infos: list[zipfile.ZipInfo], limits: ZipLimits
) -> None:
    """Refuse a zip from its directory alone: names, count, sizes, ratios."""
    if len(infos) > limits.max_members:
        raise _refuse(
            zip_name,
            None,
            f"có {len(infos)} mục, quá giới hạn {limits.max_members}",
            f"{len(infos)} entries, over the limit of {limits.max_members}",
        )
    total = 0
    for info in infos:
        member_parts(zip_name, info.filename)
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            raise _refuse(
                zip_name,
                info.filename,
                "tệp được mã hóa bằng mật khẩu",
                "the member is password-protected",
            )
        if _is_link(info):
            raise _refuse(
                zip_name,
                info.filename,
                "liên kết (symlink) không được nhận",
                "a symbolic link is not accepted",
            )
        if info.file_size > limits.max_member_bytes:
            raise _refuse(
                zip_name,
                info.filename,
                f"giải nén ra {_mb(info.file_size)}, quá giới hạn "
                f"{_mb(limits.max_member_bytes)} mỗi tệp",
                f"{_mb(info.file_size)} uncompressed, over the limit of "
                f"{_mb(limits.max_member_bytes)} per file",
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= limits.ratio_from and ratio > limits.max_ratio:
            raise _refuse(
                zip_name,
                info.filename,
                f"tỷ lệ nén {ratio:.0f}:1 bất thường (quá {limits.max_ratio}:1), "
                "nghi là bom zip; không giải nén",
                f"compressed {ratio:.0f} to 1 (over {limits.max_ratio} to 1), a "
                "likely zip bomb; not extracted",
            )
        total += info.file_size
        if total > limits.max_total_bytes:
            raise _refuse(
                zip_name,
                None,
                f"giải nén ra hơn {_mb(limits.max_total_bytes)}, quá giới hạn",
                f"more than {_mb(limits.max_total_bytes)} uncompressed, over the limit",
            )


def _extract_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    target: Path,
    *,
    zip_name: str,
    allowed: int,
) -> int:
    """Write one member to ``target``, counting bytes; refuse past ``allowed``."""
    try:
        with archive.open(info) as source, target.open("xb") as out:
            written = _write_counted(source, out, min(allowed, info.file_size))
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        target.unlink(missing_ok=True)
        raise _refuse(
            zip_name,
            info.filename,
            f"tệp trong zip bị hỏng ({exc})",
            f"the member is damaged ({exc})",
        ) from exc
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    if written is None:
        target.unlink(missing_ok=True)
        raise _refuse(
            zip_name,
            info.filename,
            "giải nén ra nhiều hơn kích thước khai báo hoặc giới hạn; dừng giải nén",
            "more bytes than declared or allowed; extraction stopped",
        )
    return written


def extract_zip(
    path: Path,
    folder: Path,
    *,
    zip_name: str,
    keep: Callable[[tuple[str, ...]], str | None],
    limits: ZipLimits,
    flatten: bool = False,
) -> Extracted:
    """Extract the members of a zip that ``keep`` accepts into ``folder``.

    Args:
        path: the zip on disk.
        folder: where its members go (``folder/<member path>``).
        zip_name: the zip's name for the messages.
        keep: returns ``None`` to extract a member (given its name's parts), else
            why it is left aside (``"vi / en"``).
        limits: counts and sizes allowed.
        flatten: write members under their base name only.

    Returns:
        The files extracted and the members left aside.

    Raises:
        ConfigError: not a zip, an unsafe name, a limit passed (declared or
            counted), a damaged or encrypted member, two members of one name.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse(
            zip_name,
            None,
            "không phải tệp zip hợp lệ",
            "not a valid zip file",
        ) from exc
    out = Extracted()
    with archive:
        infos = archive.infolist()
        _check_declared(zip_name, infos, limits)
        total = 0
        taken: set[str] = set()
        for info in infos:
            if info.is_dir():
                continue
            parts = member_parts(zip_name, info.filename)
            if not parts:
                continue
            reason = keep(parts)
            if reason is not None:
                vi, _, en = reason.partition(" / ")
                out.skipped.append((info.filename, vi, en or vi))
                continue
            relative = (parts[-1],) if flatten else parts
            key = "/".join(relative).lower()
            if key in taken:
                raise _refuse(
                    zip_name,
                    info.filename,
                    "trùng tên với một tệp khác trong zip",
                    "the same name as another member",
                )
            taken.add(key)
            target = folder.joinpath(*relative)
            if not target.resolve().is_relative_to(folder.resolve()):
                raise _refuse(
                    zip_name,
                    info.filename,
                    "tên tệp không an toàn",
                    "unsafe name",
                )
            target.parent.mkdir(parents=True, exist_ok=True)
            size = _extract_member(
                archive,
                info,
                target,
                zip_name=zip_name,
                allowed=min(limits.max_member_bytes, limits.max_total_bytes - total),
            )
            total += size
            out.files.append(Saved(name="/".join(relative), path=target, size=size))
    return out


def remove_tree(path: Path) -> None:
    """Remove a folder made by an upload, if it is there."""
    shutil.rmtree(path, ignore_errors=True)


__all__ = [
    "CHUNK",
    "MAX_FILES",
    "Extracted",
    "LimitedRequest",
    "Saved",
    "Upload",
    "UploadRoute",
    "ZipLimits",
    "copy_limited",
    "extract_zip",
    "member_parts",
    "remove_tree",
    "safe_name",
    "save_form_files",
    "save_uploads",
    "too_large_message",
]
