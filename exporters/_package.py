"""Read a zip package and rewrite a few of its members, copying every other member raw.

The output keeps member order, names, timestamps, flags and the compressed bytes of every
member that is not replaced: only local-header offsets in the central directory move. That
is what makes "every other part byte-identical" hold at the compressed level, which a
`zipfile` round trip (decompress + recompress) cannot promise.

Zip64 packages are refused: no workbook a person fills in comes near 4 GB or 65,535 parts.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

_EOCD = b"PK\x05\x06"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
_ZIP64_LOCATOR = b"PK\x06\x07"
_DATA_DESCRIPTOR_FLAG = 0x08
_ENCRYPTED_FLAG = 0x01


class PackageError(Exception):
    """The bytes are not a zip package this module can rewrite."""


@dataclass
class Member:
    name: str
    method: int
    flags: int
    crc: int
    compressed_size: int
    size: int
    offset: int  # of the local header in the original bytes
    central: bytes  # the raw central-directory record
    end: int = 0  # where this member's local record (header, data, descriptor) ends


class Package:
    """A parsed zip package: members in stored order, readable by name."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        eocd = data.rfind(_EOCD, max(0, len(data) - 65557))
        if eocd < 0 or len(data) < 22:
            raise PackageError("not a zip package (no end-of-central-directory record)")
        if eocd >= 20 and data[eocd - 20 : eocd - 16] == _ZIP64_LOCATOR:
            raise PackageError("zip64 packages are not supported")
        (_, disk, cd_disk, _n_disk, count, cd_size, cd_offset, _comment_len) = struct.unpack_from(
            "<4sHHHHIIH", data, eocd
        )
        if disk or cd_disk:
            raise PackageError("multi-disk zip packages are not supported")
        self.eocd_tail = data[eocd + 20 :]  # comment length + comment, kept verbatim
        self.cd_offset = cd_offset
        self.members: list[Member] = []
        pos = cd_offset
        for _ in range(count):
            if data[pos : pos + 4] != _CENTRAL:
                raise PackageError("damaged central directory")
            (_, _, _, flags, method, _, _, crc, csize, usize, nlen, xlen, clen, _, _, _, offset) = struct.unpack_from(
                "<4sHHHHHHIIIHHHHHII", data, pos
            )
            raw_name = data[pos + 46 : pos + 46 + nlen]
            name = raw_name.decode("utf-8" if flags & 0x800 else "cp437")
            record = data[pos : pos + 46 + nlen + xlen + clen]
            self.members.append(Member(name, method, flags, crc, csize, usize, offset, record))
            pos += 46 + nlen + xlen + clen
        if pos != cd_offset + cd_size:
            raise PackageError("central directory size does not match its records")
        ordered = sorted(self.members, key=lambda m: m.offset)
        for member, following in zip(ordered, [*ordered[1:], None], strict=True):
            member.end = following.offset if following else cd_offset
            if data[member.offset : member.offset + 4] != _LOCAL or member.end > len(data):
                raise PackageError(f"damaged local header for {member.name}")
        self.prefix = data[: ordered[0].offset] if ordered else b""
        self._by_name = {m.name: m for m in self.members}
        self._by_lower = {m.name.lower(): m for m in self.members}

    def find(self, name: str) -> str | None:
        """The stored name of a part, matched case-insensitively (OPC part names are)."""
        member = self._by_name.get(name) or self._by_lower.get(name.lower())
        return member.name if member else None

    def read(self, name: str) -> bytes:
        member = self._by_name.get(name) or self._by_lower.get(name.lower())
        if member is None:
            raise PackageError(f"the package has no part {name!r}")
        if member.flags & _ENCRYPTED_FLAG:
            raise PackageError(f"part {name!r} is encrypted")
        nlen, xlen = struct.unpack_from("<HH", self.data, member.offset + 26)
        start = member.offset + 30 + nlen + xlen
        raw = self.data[start : start + member.compressed_size]
        try:
            if member.method == 0:
                content = raw
            elif member.method == 8:
                content = zlib.decompress(raw, -15)
            else:
                raise PackageError(f"part {name!r} uses unsupported compression method {member.method}")
        except zlib.error as exc:
            raise PackageError(f"part {name!r} is damaged: {exc}") from exc
        if len(content) != member.size or zlib.crc32(content) != member.crc:
            raise PackageError(f"part {name!r} fails its CRC check")
        return content

    def rewrite(self, replacements: dict[str, bytes]) -> bytes:
        """The package with the named parts' contents replaced; everything else copied raw."""
        unknown = set(replacements) - set(self._by_name)
        if unknown:
            raise PackageError(f"cannot replace missing parts {sorted(unknown)}")
        out = bytearray(self.prefix)
        new_offsets: dict[str, int] = {}
        new_central: dict[str, bytes] = {}
        for member in sorted(self.members, key=lambda m: m.offset):
            new_offsets[member.name] = len(out)
            content = replacements.get(member.name)
            if content is None:
                out += self.data[member.offset : member.end]
                new_central[member.name] = member.central
                continue
            method = member.method if member.method in (0, 8) else 8
            if method == 8:
                packer = zlib.compressobj(6, zlib.DEFLATED, -15)
                payload = packer.compress(content) + packer.flush()
            else:
                payload = content
            crc = zlib.crc32(content)
            flags = member.flags & ~_DATA_DESCRIPTOR_FLAG
            header = bytearray(self.data[member.offset : member.offset + 30])
            nlen, xlen = struct.unpack_from("<HH", header, 26)
            name_extra = self.data[member.offset + 30 : member.offset + 30 + nlen + xlen]
            struct.pack_into("<HH", header, 6, flags, method)
            struct.pack_into("<III", header, 14, crc, len(payload), len(content))
            out += header + name_extra + payload
            central = bytearray(member.central)
            struct.pack_into("<HH", central, 8, flags, method)
            struct.pack_into("<III", central, 16, crc, len(payload), len(content))
            new_central[member.name] = bytes(central)
        cd_start = len(out)
        for member in self.members:  # central directory keeps its own order
            central = bytearray(new_central[member.name])
            struct.pack_into("<I", central, 42, new_offsets[member.name])
            out += central
        cd_size = len(out) - cd_start
        if len(out) > 0xFFFFFFFF:
            raise PackageError("the rewritten package would need zip64")
        count = len(self.members)
        out += struct.pack("<4sHHHHII", _EOCD, 0, 0, count, count, cd_size, cd_start) + self.eocd_tail
        return bytes(out)
