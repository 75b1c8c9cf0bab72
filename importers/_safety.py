"""Content sniffing and package bounds, checked before any parser sees the bytes.

Format is decided by content, never by the file name: a legacy Office file renamed
`.xlsx` is still refused as legacy, a docx renamed `.xlsx` is still a docx.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from pathlib import PurePath

from importers.base import CorruptFile, EncryptedFile, UnsafeFile, UnsupportedFormat

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

MAX_TOTAL_UNCOMPRESSED = 200 * 1024 * 1024
MAX_MEMBERS = 10_000
MAX_RATIO = 200
RATIO_CHECK_ABOVE = 1024 * 1024

_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_WORD_DOCUMENT = "WordDocument".encode("utf-16-le")


def _password_protected(filename: str) -> str:
    return f"{filename}: the file is password-protected; remove the password and upload again"


def is_zip(data: bytes) -> bool:
    return data.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC))


def preflight(data: bytes, filename: str) -> None:
    """Refuse what no importer should parse. Raises UnsupportedFormat (legacy Office),
    EncryptedFile (password-protected OOXML), CorruptFile (damaged zip) or UnsafeFile
    (zip bomb bounds). Returns quietly for anything else (text, a sound zip)."""
    if data.startswith(OLE2_MAGIC):
        # Excel and Word store a password-protected xlsx/docx as an OLE2 compound file
        # with an `EncryptedPackage` stream; anything else in OLE2 is a 97-2003 file.
        if _ENCRYPTED_PACKAGE in data or b"EncryptedPackage" in data:
            raise EncryptedFile(_password_protected(filename))
        kind = ".doc" if _WORD_DOCUMENT in data else ".xls"
        target = ".docx" if kind == ".doc" else ".xlsx"
        raise UnsupportedFormat(
            f"{filename}: legacy {kind} (Office 97-2003) file: save it as {target} and upload again"
        )
    if is_zip(data):
        open_zip(data, filename).close()


_TEXT_EXTENSIONS = (".csv", ".tsv", ".txt", ".tab")


def _package_kind(data: bytes) -> tuple[str, str]:
    """(what the zip package is, the extension it should have)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, ValueError, EOFError, OSError):
        return "a zip archive", ".zip"
    if "xl/workbook.xml" in names:
        return "an Excel workbook", ".xlsx"
    if "word/document.xml" in names:
        return "a Word document", ".docx"
    return "a zip archive", ".zip"


def check_extension(data: bytes, filename: str) -> None:
    """Refuse a package (xlsx, docx, zip) named as delimited text. Otherwise the CSV name
    would be kept on the completed file, which is really a workbook. Raises UnsupportedFormat."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in _TEXT_EXTENSIONS and is_zip(data):
        kind, target = _package_kind(data)
        raise UnsupportedFormat(f"{filename}: the file is {kind} named {suffix}: rename it to {target}")


def open_zip(data: bytes, filename: str) -> zipfile.ZipFile:
    """Open a zip package after checking its bounds from the central directory.

    Raises CorruptFile when the zip is damaged or truncated, EncryptedFile when a member
    is password-protected (ZipCrypto / AES zip encryption), UnsafeFile over the member
    count, total uncompressed size or per-member compression ratio limits.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise CorruptFile(f"{filename}: damaged or truncated zip package ({exc})") from exc
    infos = zf.infolist()
    if any(info.flag_bits & 0x1 for info in infos):
        # A zip password (`zip -P`, 7-Zip): zipfile would raise RuntimeError on read.
        zf.close()
        raise EncryptedFile(_password_protected(filename))
    if len(infos) > MAX_MEMBERS:
        zf.close()
        raise UnsafeFile(f"{filename}: {len(infos):,} package members is over the {MAX_MEMBERS:,} limit")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > RATIO_CHECK_ABOVE and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            zf.close()
            raise UnsafeFile(
                f"{filename}: member {info.filename} expands {info.file_size // max(info.compress_size, 1):,}:1 "
                f"(limit {MAX_RATIO}:1), refused as a zip bomb"
            )
    if total > MAX_TOTAL_UNCOMPRESSED:
        zf.close()
        raise UnsafeFile(
            f"{filename}: {total:,} bytes uncompressed is over the {MAX_TOTAL_UNCOMPRESSED:,}-byte limit (zip bomb?)"
        )
    return zf


def read_member(zf: zipfile.ZipFile, name: str, filename: str) -> bytes:
    """Read one member, never more than its declared size (a lying header cannot inflate
    past the checked bounds). Raises CorruptFile on CRC or inflate errors, UnsafeFile
    when the stream is longer than declared."""
    try:
        info = zf.getinfo(name)
        with zf.open(info) as fh:
            out = fh.read(info.file_size + 1)
    except KeyError as exc:
        raise CorruptFile(f"{filename}: package part {name} is missing") from exc
    except RuntimeError as exc:  # zipfile's "is encrypted, password required"
        raise EncryptedFile(_password_protected(filename)) from exc
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise CorruptFile(f"{filename}: package part {name} is damaged ({exc})") from exc
    if len(out) > info.file_size:
        raise UnsafeFile(f"{filename}: package part {name} is longer than its header declares")
    return out


# How an XML parser tells a part's encoding (XML 1.0 appendix F, as libxml2 does): a
# byte-order mark, else the bytes of the first "<", else the declaration, else UTF-8.
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)
_FIRST_BYTES = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", "cp500"),  # EBCDIC "<?xm"
)
_DECLARED = re.compile(rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([^"']*)["']""")
_DTD = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.I)
# SharePoint writes its document-library metadata (customXml/item*.xml) as UTF-16; no
# importer or exporter reads those parts, they are only checked for DTDs.
_ANY_ENCODING_FOLDERS = ("customXml/",)


def xml_encoding(data: bytes) -> str:
    """The encoding an XML parser reads `data` in (a Python codec name, lower case)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    for first, encoding in _FIRST_BYTES:
        if data.startswith(first):
            return encoding
    declared = _DECLARED.match(data[:200])
    if declared:
        name = declared.group(1).decode("ascii", errors="replace").strip().lower()
        return "utf-8" if name in ("utf-8", "utf8") else name
    return "utf-8"


def check_xml(data: bytes, part: str, filename: str) -> None:
    """Refuse an XML part we cannot trust to parse: one not in UTF-8 (Excel and Word
    always write UTF-8; the exporter edits parts as UTF-8 text; customXml/ excepted), or
    one declaring a DOCTYPE or ENTITY (external entities, billion laughs; OOXML never needs
    one), whatever encoding hides it. Raises CorruptFile or UnsafeFile."""
    encoding = xml_encoding(data)
    if encoding != "utf-8" and not part.startswith(_ANY_ENCODING_FOLDERS):
        raise CorruptFile(
            f"{filename}: {part} is {encoding.upper()} XML, not UTF-8 as Excel and Word write it: "
            "open the file in Excel or Word, save it and upload it again"
        )
    try:
        text = data.decode(encoding)
    except (LookupError, UnicodeDecodeError) as exc:
        raise CorruptFile(f"{filename}: {part} is not readable {encoding.upper()} XML ({exc})") from exc
    if "\x00" in text:  # XML cannot hold NUL: a UTF-16/32 part the byte patterns above missed
        raise CorruptFile(f"{filename}: {part} holds NUL characters, which XML cannot (not UTF-8 XML?)")
    if _DTD.search(text):
        raise UnsafeFile(
            f"{filename}: {part} declares a DOCTYPE or ENTITY (a DTD: external entities, entity expansion)"
        )
