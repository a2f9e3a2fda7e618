import { crc32, deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { zipEntries } from './zip-entries.js';

/** A zip archive laid out by the format's description (APPNOTE 4.3): stored or deflated files. */
function zip(files: { name: string; text: string; deflate?: boolean }[]): Buffer {
  const locals: Buffer[] = [];
  const directory: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const data = Buffer.from(file.text);
    const body = file.deflate === true ? deflateRawSync(data) : data;
    const name = Buffer.from(file.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(file.deflate === true ? 8 : 0, 8);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(file.deflate === true ? 8 : 0, 10);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    directory.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const size = directory.reduce((sum, part) => sum + part.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(size, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...directory, end]);
}

const ARCHIVE = [
  { name: 'pkg/readme.txt', text: 'stored as it is' },
  { name: 'pkg/data.csv', text: 'id,x\n1,2\n'.repeat(200), deflate: true },
];

describe('zipEntries', () => {
  it('reads the named files, stored or deflated, and only those', () => {
    const found = zipEntries(zip(ARCHIVE), ['pkg/data.csv', 'pkg/readme.txt']);
    expect(found.get('pkg/readme.txt')?.toString()).toBe('stored as it is');
    expect(found.get('pkg/data.csv')?.toString()).toBe('id,x\n1,2\n'.repeat(200));
    expect([...zipEntries(zip(ARCHIVE), ['pkg/readme.txt']).keys()]).toEqual(['pkg/readme.txt']);
  });

  it('names a file the archive lacks', () => {
    expect(() => zipEntries(zip(ARCHIVE), ['pkg/readme.txt', 'pkg/other.txt'])).toThrow(
      'zip: no pkg/other.txt in the archive',
    );
  });

  it('refuses a file whose bytes changed, and what is not a zip archive', () => {
    const archive = zip(ARCHIVE);
    const at = archive.indexOf('stored as it is');
    archive[at] = 'S'.charCodeAt(0);
    expect(() => zipEntries(archive, ['pkg/readme.txt'])).toThrow(
      'zip: pkg/readme.txt fails its CRC-32 check',
    );
    expect(() => zipEntries(Buffer.from('not a zip archive at all'), ['x'])).toThrow(
      'not a zip archive',
    );
  });
});
