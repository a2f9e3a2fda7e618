import { crc32, inflateRawSync } from 'node:zlib';

/**
 * Named files of a zip archive held in memory (a Python wheel is one), read with node's zlib:
 * the central directory names each file and where its data is; stored and deflated files are
 * read, their size and CRC-32 checked. No Zip64 and no encryption: an archive needing either
 * is refused with the reason.
 */
export function zipEntries(zip: Buffer, names: readonly string[]): Map<string, Buffer> {
  const wanted = new Set(names);
  const found = new Map<string, Buffer>();
  const end = endOfCentralDirectory(zip);
  let at = end.directoryOffset;
  for (let i = 0; i < end.entries; i += 1) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`zip: no directory entry at ${at}`);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressedSize = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localOffset = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    if (!wanted.has(name)) continue;
    if (compressedSize === 0xffffffff || localOffset === 0xffffffff) {
      throw new Error(`zip: ${name} needs Zip64, which is not read`);
    }
    if (zip.readUInt32LE(localOffset) !== 0x04034b50) {
      throw new Error(`zip: no local header for ${name}`);
    }
    const start =
      localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const raw = zip.subarray(start, start + compressedSize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) data = inflateRawSync(raw);
    else throw new Error(`zip: ${name} uses compression method ${method}, not stored or deflate`);
    if (data.length !== size) throw new Error(`zip: ${name} is ${data.length} bytes, not ${size}`);
    if (crc32(data) !== crc) throw new Error(`zip: ${name} fails its CRC-32 check`);
    found.set(name, data);
  }
  const missing = names.filter((name) => !found.has(name));
  if (missing.length > 0) throw new Error(`zip: no ${missing.join(', ')} in the archive`);
  return found;
}

/** The end-of-central-directory record: within the last 64 KiB + 22 bytes of the archive. */
function endOfCentralDirectory(zip: Buffer): { entries: number; directoryOffset: number } {
  const earliest = Math.max(0, zip.length - 22 - 0xffff);
  for (let at = zip.length - 22; at >= earliest; at -= 1) {
    if (zip.readUInt32LE(at) === 0x06054b50) {
      return { entries: zip.readUInt16LE(at + 10), directoryOffset: zip.readUInt32LE(at + 16) };
    }
  }
  throw new Error('zip: no end-of-central-directory record; not a zip archive');
}
